"""What a job produces and the reference response shape it is answered with (ai-api.md §2).

Media (images, a video, speech) are re-hosted as `{service URI}/stream/{id}/{n}{ext}` when the
caller is a gateway (`Authorization: Livepeer-AI-Worker-1.0`), else inlined as `data:` URLs,
as the reference orchestrator does for text-to-image.
"""

import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from lpgw.devnet.media_store import MediaStore
from lpgw.pipelines import MediaKind


@dataclass(frozen=True)
class MediaOutput:
    """Images or a video: `{"images": [Media…]}` (ImageResponse, VideoResponse)."""

    files: tuple[bytes, ...]
    kind: MediaKind
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class AudioOutput:
    """Speech: `{"audio": {"url"}}` (AudioResponse)."""

    data: bytes
    kind: MediaKind


@dataclass(frozen=True)
class DocumentOutput:
    """A JSON answer as it is (TextResponse, MasksResponse, ImageToTextResponse, LLMResponse)."""

    body: dict[str, object]


@dataclass(frozen=True)
class EventStreamOutput:
    """`text/event-stream` frames, produced lazily (LLM with `stream: true`)."""

    frames: Iterator[bytes]


Output = MediaOutput | AudioOutput | DocumentOutput | EventStreamOutput


@dataclass(frozen=True)
class MediaHost:
    """Where results go: the devnet's media store under its service URI, or inline."""

    store: MediaStore
    service_uri: str
    by_reference: bool

    def url(self, request_id: str, n: int, data: bytes, kind: MediaKind) -> str:
        if not self.by_reference:
            return f"data:{kind.content_type};base64,{base64.b64encode(data).decode()}"
        name = f"{n}{kind.extension}"
        self.store.put(request_id, name, data, kind.content_type)
        return f"{self.service_uri}/stream/{request_id}/{name}"


def answer_json(output: MediaOutput | AudioOutput | DocumentOutput, host: MediaHost) -> object:
    request_id = secrets.token_hex(8)
    if isinstance(output, MediaOutput):
        return {
            "images": [
                {"url": host.url(request_id, n, data, output.kind), "seed": seed, "nsfw": False}
                for n, (data, seed) in enumerate(zip(output.files, output.seeds, strict=True))
            ]
        }
    if isinstance(output, AudioOutput):
        return {"audio": {"url": host.url(request_id, 0, output.data, output.kind)}}
    return output.body
