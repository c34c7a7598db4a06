"""A request body decoded as the reference orchestrator decodes it (wire.md §7.4 step 0).

The orchestrator decodes JSON or multipart into the runner's structs and checks nothing else:
types must fit, absent fields take their zero value or the schema default, ranges are not
enforced (they are the gateway's business; the devnet applies its own bounds while sizing the
job). So each declared request model is decoded through a lax copy of it: the same fields and
defaults with constraints and validators stripped, required fields defaulting to their zero
value. The result is an instance of the declared model (built without validation), so
`Pipeline.units` accepts it. JSON keeps the declaration's strict types ("512" is not 512);
multipart text is converted ("512" → 512, "true" → True).
"""

import types
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from lpgw.devnet.errors import RequestDecodeError
from lpgw.pipelines import Pipeline
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

MAX_FORM_PART_BYTES = 4 * 2**20
"""A non-file form field; SAM 2's `mask_input` (256 × 256 numbers as text) fits."""


@dataclass(frozen=True)
class Decoded:
    request: BaseModel
    files: Mapping[str, bytes]


def _bare(annotation: Any) -> Any:
    """The type without Annotated metadata (bounds, validators), through unions."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _bare(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return Union[tuple(_bare(arg) for arg in get_args(annotation))]  # noqa: UP007
    return annotation


def _zero(annotation: Any) -> Any:
    """Go's zero value for an absent field the runner struct would hold."""
    bare = get_origin(annotation) or annotation
    zeros: dict[Any, Any] = {str: "", int: 0, float: 0.0, bool: False, list: [], dict: {}}
    return zeros.get(bare)


_LAX: dict[tuple[type[BaseModel], bool], type[BaseModel]] = {}


def lax_model(model: type[BaseModel], strict: bool) -> type[BaseModel]:
    """The lax copy of `model`, made once."""
    made = _LAX.get((model, strict))
    if made is None:
        made = _LAX[(model, strict)] = _lax(model, strict)
    return made


def _lax(model: type[BaseModel], strict: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = _bare(info.annotation)
        if info.is_required():
            default = _zero(annotation)
        elif info.default_factory is not None:
            default = info.get_default(call_default_factory=True)
        else:
            default = info.default
        fields[name] = (annotation, default)
    config = ConfigDict(extra="ignore", strict=strict)
    return create_model(f"Lax{model.__name__}", __config__=config, **fields)


def _as_declared(pipeline: Pipeline[Any], lax: BaseModel) -> BaseModel:
    values = {name: getattr(lax, name) for name in type(lax).model_fields}
    declared: BaseModel = pipeline.request.model_construct(**values)
    return declared


def _validation_text(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def decode_json(pipeline: Pipeline[Any], body: bytes) -> Decoded:
    try:
        lax = lax_model(pipeline.request, True).model_validate_json(body)
    except ValidationError as exc:
        raise RequestDecodeError(_validation_text(exc)) from exc
    return Decoded(_as_declared(pipeline, lax), {})


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


async def decode_multipart(pipeline: Pipeline[Any], body: bytes, content_type: str) -> Decoded:
    """Form fields into the lax model; parts that carry a file name are files."""
    parser = MultiPartParser(
        Headers({"content-type": content_type}),
        _once(body),
        max_files=len(pipeline.files) + 4,
        max_part_size=MAX_FORM_PART_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise RequestDecodeError(f"multipart: {exc.message}") from exc
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[name] = await value.read()
            else:
                fields[name] = value
    finally:
        await form.close()
    try:
        lax = lax_model(pipeline.request, False).model_validate(fields)
    except ValidationError as exc:
        raise RequestDecodeError(_validation_text(exc)) from exc
    return Decoded(_as_declared(pipeline, lax), files)


async def decode(pipeline: Pipeline[Any], body: bytes, content_type: str) -> Decoded:
    if pipeline.body == "json":
        return decode_json(pipeline, body)
    if not content_type.lower().startswith("multipart/form-data"):
        raise RequestDecodeError(f"{pipeline.path} takes multipart/form-data, not {content_type!r}")
    return await decode_multipart(pipeline, body, content_type)
