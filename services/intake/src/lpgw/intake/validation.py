"""Raw body -> typed parameters, or a typed error: 400 for bytes that are not JSON, 422 for JSON
that does not match the schema (ai-api.md §10 quirk 19).

The body is parsed and validated in one pass by pydantic's JSON parser (in Rust): no
intermediate Python objects, and its own limits on nesting and on number size, which it reports
as invalid JSON like any other malformed body."""

from typing import TypeVar

from lpgw.intake.errors import FieldError, InvalidRequest, MalformedJson
from pydantic import BaseModel, ValidationError

Params = TypeVar("Params", bound=BaseModel)


def parse_params(schema: type[Params], body: bytes) -> Params:
    try:
        return schema.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        if errors and errors[0]["type"] == "json_invalid":
            reason = errors[0]["msg"].removeprefix("Invalid JSON: ")
            raise MalformedJson(f"request body is not valid JSON: {reason}") from None
        raise InvalidRequest(field_errors(exc)) from None


def field_errors(exc: ValidationError, where: str = "body") -> list[FieldError]:
    """Pydantic errors as `HTTPValidationError` items, located under `body` (or `query`) like
    FastAPI's."""
    return [
        FieldError(loc=(where, *error["loc"]), msg=error["msg"], type=error["type"])
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
