"""The OpenAPI document's AI parts: each pipeline's request body under the spec's schema name
(`TextToImageParams`, `Body_genImageToImage`, …) with the reference's field names, and the
error envelope on every error status.

Request bodies are read by hand (JSON or multipart, within the pipeline's limit), so FastAPI
cannot derive them; they are declared here and their schemas (with nested models such as
`LLMMessage`) added to the document's components by `install_openapi`.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from lpgw.pipelines import DECLARED, Pipeline
from pydantic import BaseModel

REF = "#/components/schemas/{model}"
ERROR_STATUSES = (400, 401, 413, 415, 429, 500, 503, 504)


class ErrorMessageBody(BaseModel):
    message: str


class ErrorDetail(BaseModel):
    msg: str


class HTTPError(BaseModel):
    """Both envelopes: the reference's `error.message` and the spec's `detail.msg`."""

    error: ErrorMessageBody
    detail: ErrorDetail


class ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class HTTPValidationError(BaseModel):
    """A schema violation: the spec's item list under `detail`, a summary under `error`."""

    error: ErrorMessageBody
    detail: list[ValidationItem]


def error_responses() -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        status: {"model": HTTPError} for status in ERROR_STATUSES
    }
    responses[422] = {"model": HTTPValidationError}
    return responses


def _schema_name(pipeline: Pipeline[Any]) -> str:
    return str(pipeline.request.model_config.get("title") or pipeline.request.__name__)


def request_body(pipeline: Pipeline[Any]) -> dict[str, Any]:
    content_type = "application/json" if pipeline.body == "json" else "multipart/form-data"
    ref = {"$ref": REF.format(model=_schema_name(pipeline))}
    return {"requestBody": {"required": True, "content": {content_type: {"schema": ref}}}}


def request_schemas() -> dict[str, Any]:
    """Every pipeline's request schema and the models it nests, as components."""
    schemas: dict[str, Any] = {}
    for pipeline in DECLARED:
        schema = _request_schema(pipeline)
        schemas |= schema.pop("$defs", {})
        schemas[_schema_name(pipeline)] = schema
    return schemas


def _request_schema(pipeline: Pipeline[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = _with_component_refs(pipeline.request_schema())
    return schema


def _with_component_refs(node: Any) -> Any:
    """Pydantic refers to nested models as `#/$defs/X`; in OpenAPI they are components."""
    if isinstance(node, dict):
        return {
            key: (
                value.replace("#/$defs/", "#/components/schemas/")
                if key == "$ref" and isinstance(value, str)
                else _with_component_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_with_component_refs(item) for item in node]
    return node


def install_openapi(app: FastAPI) -> None:
    """`app.openapi()` builds the document once, with the request schemas added."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in request_schemas().items():
                components.setdefault(name, schema)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
