"""Raw body -> typed parameters, or a typed error: 400 for bytes that are not JSON, 422 for JSON
that does not match the schema (ai-api.md §10 quirk 19)."""

import json
from typing import TypeVar

from lpgw.intake.errors import FieldError, InvalidRequest, MalformedJson
from pydantic import BaseModel, ValidationError

Params = TypeVar("Params", bound=BaseModel)


def parse_params(schema: type[Params], body: bytes) -> Params:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedJson(f"request body is not valid JSON: {exc}") from None
    except ValueError:  # an integer longer than Python's digit limit
        raise MalformedJson("request body has a number too long to read") from None
    except RecursionError:
        raise MalformedJson("request body is nested too deeply") from None
    try:
        return schema.model_validate(document)
    except ValidationError as exc:
        raise InvalidRequest(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic errors as `HTTPValidationError` items, located under `body` like FastAPI's."""
    return [
        FieldError(loc=("body", *error["loc"]), msg=error["msg"], type=error["type"])
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
