"""`Pipeline`: everything intake, session and devnet need to know about one batch pipeline.

A declaration is data plus pure functions over parsed requests; nothing here reads a socket,
a file or media bytes.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from lpgw.pipelines.async_results import AsyncResult
from lpgw.pipelines.errors import MissingFile
from lpgw.pipelines.inputs import NO_FACTS, FileField, InputFacts, UploadedFile
from lpgw.wire.capabilities import Capability
from pydantic import BaseModel

BodyKind = Literal["json", "multipart"]
RequestT = TypeVar("RequestT", bound=BaseModel)


@dataclass(frozen=True)
class MediaKind:
    """A kind of result file: the Content-Type delivery serves it with, the file extension."""

    content_type: str
    extension: str


PNG = MediaKind("image/png", ".png")
MP4 = MediaKind("video/mp4", ".mp4")
WAV = MediaKind("audio/wav", ".wav")


@dataclass(frozen=True)
class Pipeline(Generic[RequestT]):
    """One batch AI pipeline, declared once.

    `billing` computes the units the orchestrator will debit (payments.md §8) from the parsed
    request and the measured inputs; call it through `units`.
    """

    name: str
    path: str
    capability: Capability
    body: BodyKind
    request: type[RequestT]
    response: type[BaseModel]
    default_model: str
    max_request_bytes: int
    billing: Callable[[RequestT, InputFacts], int]
    files: tuple[FileField, ...] = ()
    media: tuple[MediaKind, ...] = ()
    streams: bool = False
    async_result: AsyncResult | None = None
    model_field: str = "model_id"
    summary: str = ""
    facts_fields: Callable[[InputFacts], dict[str, str]] | None = None
    """Form fields the gateway adds from what it measured (audio-to-text's `metadata`)."""

    def units(self, request: RequestT, inputs: InputFacts = NO_FACTS) -> int:
        """Billing units in the orchestrator's unit; raises `InputFactsMissing` when the
        pipeline bills from an input it was not told about."""
        if not isinstance(request, self.request):
            raise TypeError(f"{self.name} bills {self.request.__name__}, not {type(request)}")
        return self.billing(request, inputs)

    def resolve_model(self, request: RequestT, configured: Mapping[str, str] | None = None) -> str:
        """The model to select orchestrators with and to forward: the requested one, or, when
        absent or `""` (quirk 4), the configured default, else the reference's."""
        requested = getattr(request, self.model_field)
        if requested:
            return str(requested)
        return (configured or {}).get(self.name) or self.default_model

    def forwarded_fields(self, request: RequestT, model: str) -> dict[str, Any]:
        """The non-file fields sent to orchestrators: every field explicit with its default
        (quirks 9, 12) and the resolved model written in (quirk 15); null seeds left out."""
        fields = request.model_dump(mode="json", exclude_none=True)
        fields[self.model_field] = model
        return fields

    def forwarded_form(
        self, request: RequestT, model: str, inputs: InputFacts = NO_FACTS
    ) -> dict[str, str]:
        """`forwarded_fields` as multipart text values (`true`/`false` for booleans), plus the
        fields the gateway derives from the measured inputs."""
        form = {
            name: ("true" if value else "false") if isinstance(value, bool) else str(value)
            for name, value in self.forwarded_fields(request, model).items()
        }
        if self.facts_fields is not None:
            form |= self.facts_fields(inputs)
        return form

    def wants_stream(self, request: RequestT) -> bool:
        """True when the answer is server-sent events (llm with `stream: true`)."""
        return self.streams and bool(getattr(request, "stream", False))

    def check_files(self, parts: Mapping[str, UploadedFile]) -> None:
        """Every required file part present, none too large or of a refused type."""
        for field in self.files:
            upload = parts.get(field.name)
            if upload is None:
                if field.required:
                    raise MissingFile(field.name)
                continue
            field.check(upload)

    def request_schema(self) -> dict[str, Any]:
        """JSON Schema of the whole body; for multipart, the file parts as binary strings."""
        schema = self.request.model_json_schema()
        if not self.files:
            return schema
        properties = dict(schema.get("properties", {}))
        required = list(schema.get("required", []))
        for field in self.files:
            properties[field.name] = {
                "type": "string",
                "format": "binary",
                "title": field.name.capitalize(),
                "description": field.description,
            }
            if field.required:
                required.insert(0, field.name)
        return {**schema, "properties": properties, "required": required}
