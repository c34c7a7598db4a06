"""Result media: find the orchestrator's media URLs in a response and re-host them.

An orchestrator's result URLs point at its in-memory store (fetch promptly, wire.md §7.4) or
are `data:` URLs. Which responses carry media, and of what kind, comes from the pipeline's
declaration (`Pipeline.media`): images (`images[].url`), a video (`images[].url` of
image-to-video), audio (`audio.url` of text-to-speech). The gateway stores each file as blob
"{job_id}/{n}{extension}" and rewrites the response so that each of those urls is
"/stream/{job_id}/{n}{extension}"; other fields (seed, nsfw) are kept as they are.
"""

import base64
import binascii
import copy
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes, urljoin

from lpgw.pipelines import MediaKind
from lpgw.session.failures import InvalidResponse, MediaUnavailable

SERVABLE_TYPES: Mapping[str, frozenset[str]] = {
    "image": frozenset({"image/png", "image/jpeg", "image/webp"}),
    "video": frozenset({"video/mp4", "video/webm"}),
    "audio": frozenset({"audio/wav", "audio/x-wav", "audio/mpeg", "audio/ogg", "audio/flac"}),
}
"""What delivery may serve from the gateway's origin, per family: media in which a browser
runs no script (an image/svg+xml or text/html file can carry some: stored XSS)."""
UNDECLARED_TYPES = frozenset({"", "application/octet-stream"})


class StoredMedia(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...


class MediaStore(Protocol):
    """Where result media go (lpgw.blobs.BlobStore has this shape)."""

    async def put(self, key: str, data: bytes, content_type: str) -> StoredMedia: ...


def blob_key(job_id: str, n: int, kind: MediaKind) -> str:
    return f"{job_id}/{n}{kind.extension}"


def public_url(key: str) -> str:
    """Where delivery serves a blob; intake prefixes it with its media base URL."""
    return f"/stream/{key}"


def media_slots(response: object, kind: MediaKind, max_files: int) -> list[dict[str, Any]]:
    """The objects holding the result's media `url`s, in order: `images[]` (images, video)
    or `audio` (speech). At most `max_files`; anything else is an invalid response."""
    if not isinstance(response, dict):
        raise InvalidResponse("response is not a JSON object")
    if _family(kind) == "audio":
        audio = response.get("audio")
        slots = [audio] if isinstance(audio, dict) else []
    else:
        images = response.get("images")
        slots = images if isinstance(images, list) else []
    if not slots:
        raise InvalidResponse(f"response has no {_family(kind)}")
    if len(slots) > max_files:
        raise InvalidResponse(f"response has {len(slots)} files, {max_files} were asked for")
    for slot in slots:
        url = slot.get("url") if isinstance(slot, dict) else None
        if not isinstance(url, str) or not url:
            raise InvalidResponse("a media file has no url")
    return slots


def media_urls(response: object, kind: MediaKind, max_files: int) -> list[str]:
    return [str(slot["url"]) for slot in media_slots(response, kind, max_files)]


def rewrite_response(
    response: dict[str, Any], job_id: str, kind: MediaKind, max_files: int
) -> dict[str, Any]:
    """A copy of the response whose media URLs point at the gateway's blobs."""
    rewritten = copy.deepcopy(response)
    for n, slot in enumerate(media_slots(rewritten, kind, max_files)):
        slot["url"] = public_url(blob_key(job_id, n, kind))
    return rewritten


def absolute_url(transcoder: str, url: str) -> str:
    """Orchestrators send absolute URLs; a relative one is taken against the service URI."""
    return urljoin(transcoder.rstrip("/") + "/", url)


def is_data_url(url: str) -> bool:
    return url[:5].lower() == "data:"


def decode_data_url(url: str) -> tuple[bytes, str]:
    """(bytes, media type) of an RFC 2397 `data:` URL."""
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise MediaUnavailable("malformed data URL")
    params = header.split(";")
    media_type = params[0] or "text/plain"
    if "base64" in (p.strip().lower() for p in params[1:]):
        try:
            return base64.b64decode(payload, validate=True), media_type
        except binascii.Error as exc:
            raise MediaUnavailable("data URL is not valid base64") from exc
    return unquote_to_bytes(payload), media_type


def media_content_type(received: str | None, kind: MediaKind) -> str:
    """The type a result file is stored with: the orchestrator's, when it is a type of the
    kind's family delivery may serve; the kind's own when it declared none; any other type
    is an invalid response."""
    media_type = (received or "").split(";")[0].strip().lower()
    if media_type in SERVABLE_TYPES[_family(kind)]:
        return media_type
    if media_type in UNDECLARED_TYPES:
        return kind.content_type
    raise InvalidResponse(
        f"result media type {media_type!r} is not a {_family(kind)} type the gateway serves"
    )


def _family(kind: MediaKind) -> str:
    return kind.content_type.split("/", 1)[0]
