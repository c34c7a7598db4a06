"""A request body → the pipeline's typed parameters and its uploaded files.

JSON bodies are parsed and validated in one pass (`lpgw.intake.validation`). Multipart bodies
are parsed by Starlette's parser from the bytes already read (the whole body is bounded by the
pipeline's `max_request_bytes` before parsing starts), then the file parts are checked against
the declaration (required, size, type) and the text fields validated like JSON, with text
converted ("512" → 512, "true" → True), as the reference's form decoder does.
"""

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from lpgw.intake.ai.jobs import Upload
from lpgw.intake.errors import FileRejected, InvalidRequest, UnsupportedBody
from lpgw.intake.validation import field_errors, parse_params
from lpgw.pipelines import Pipeline, UploadedFile
from lpgw.pipelines.errors import FileProblem, FileTooLarge, UnsupportedMediaType
from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

MAX_FORM_FIELDS = 64
"""Far more than any pipeline has; bounds the parser's work on a hostile form."""
MAX_TEXT_PART_BYTES = 4 * 1024 * 1024
"""One text field: SAM 2's `mask_input` (256 × 256 numbers as text) fits."""


@dataclass(frozen=True)
class Decoded:
    params: BaseModel
    files: dict[str, Upload]


async def decode_body(pipeline: Pipeline[Any], content_type: str, body: bytes) -> Decoded:
    if pipeline.body == "json":
        return Decoded(parse_params(pipeline.request, body), {})
    if not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedBody(
            f"{pipeline.path} takes multipart/form-data, not {content_type or 'no content type'}"
        )
    fields, files = await _parse_form(content_type, body)
    try:
        pipeline.check_files(
            {name: UploadedFile(part.content_type, len(part.data)) for name, part in files.items()}
        )
    except FileProblem as exc:
        raise FileRejected(str(exc), _file_status(exc)) from None
    try:
        params = pipeline.request.model_validate(fields)
    except ValidationError as exc:
        raise InvalidRequest(field_errors(exc)) from None
    return Decoded(params, files)


def _file_status(problem: FileProblem) -> int:
    match problem:
        case FileTooLarge():
            return 413
        case UnsupportedMediaType():
            return 415
        case _:
            return 400


async def _parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    async def once() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(
        Headers({"content-type": content_type}),
        once(),
        max_files=MAX_FORM_FIELDS,
        max_fields=MAX_FORM_FIELDS,
        max_part_size=MAX_TEXT_PART_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise UnsupportedBody(f"the multipart body cannot be decoded: {exc.message}") from None
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                files[name] = Upload(data, value.content_type or "", value.filename or name)
            else:
                fields[name] = value
    finally:
        await form.close()
    return fields, files
