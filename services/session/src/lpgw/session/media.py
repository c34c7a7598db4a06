"""Result media: find the orchestrator's media URLs in a response and re-host them.

An orchestrator's result URLs point at its in-memory store (fetch promptly, wire.md §7.4) or
are `data:` URLs. The gateway stores each file as blob "{job_id}/{n}.png" and rewrites the
response so that every `images[n].url` is "/stream/{job_id}/{n}.png"; other fields (seed,
nsfw) are kept as they are.
"""

import base64
import binascii
import copy
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes, urljoin

from lpgw.session.failures import InvalidResponse, MediaUnavailable

DEFAULT_IMAGE_TYPE = "image/png"
ALLOWED_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
"""What delivery may serve from the gateway's origin: raster images, in which a browser runs
no script (an image/svg+xml file can carry some: stored XSS)."""
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


def blob_key(job_id: str, n: int) -> str:
    return f"{job_id}/{n}.png"


def public_url(key: str) -> str:
    """Where delivery serves a blob; intake prefixes it with its media base URL."""
    return f"/stream/{key}"


def media_urls(response: object, max_images: int) -> list[str]:
    """`images[].url` of an ImageResponse with at most `max_images` images (the request's
    `num_images_per_prompt`); anything else is an invalid response."""
    if not isinstance(response, dict):
        raise InvalidResponse("response is not a JSON object")
    images = response.get("images")
    if not isinstance(images, list) or not images:
        raise InvalidResponse("response has no images")
    if len(images) > max_images:
        raise InvalidResponse(f"response has {len(images)} images, {max_images} were asked for")
    urls: list[str] = []
    for image in images:
        url = image.get("url") if isinstance(image, dict) else None
        if not isinstance(url, str) or not url:
            raise InvalidResponse("an image has no url")
        urls.append(url)
    return urls


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


def image_content_type(received: str | None) -> str:
    """The type a result file is stored with: PNG, JPEG or WebP as the orchestrator declared
    it, PNG (what these pipelines make) when it declared none; any other type is an invalid
    response."""
    media_type = (received or "").split(";")[0].strip().lower()
    if media_type in ALLOWED_IMAGE_TYPES:
        return media_type
    if media_type in UNDECLARED_TYPES:
        return DEFAULT_IMAGE_TYPE
    raise InvalidResponse(f"result media type {media_type!r} is not PNG, JPEG or WebP")


def rewrite_response(response: dict[str, Any], job_id: str) -> dict[str, Any]:
    """A copy of the response whose image URLs point at the gateway's blobs."""
    rewritten = copy.deepcopy(response)
    for n, image in enumerate(rewritten["images"]):
        image["url"] = public_url(blob_key(job_id, n))
    return rewritten
