"""The body of `POST /segment` (wire.md §7.3 step 6): the segment bytes, at most 300 000 000,
or with `Content-Type: application/vnd+livepeer.uri` a URL to fetch them from (4 s per
read, 8 s in all). Read only once the payment has been taken; drained after an earlier
refusal so the connection stays usable."""

import asyncio
import http.client
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator

from lpgw.devnet.transcoding.errors import BadSegmentBody
from lpgw.wire.headers import URI_CONTENT_TYPE

MAX_SEGMENT_BYTES = 300_000_000
FETCH_TIMEOUT_S = 4.0
FETCH_DEADLINE_S = 8.0


def is_uri(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == URI_CONTENT_TYPE


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
        data: bytes = response.read(MAX_SEGMENT_BYTES + 1)
    if len(data) > MAX_SEGMENT_BYTES:
        raise BadSegmentBody()
    return data


async def fetch(url: str) -> bytes:
    """GET an http(s) URL off the event loop; any failure or overrun is `BadRequest`."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise BadSegmentBody()
    try:
        return await asyncio.wait_for(asyncio.to_thread(_get, url), FETCH_DEADLINE_S)
    except (OSError, ValueError, http.client.HTTPException) as exc:  # TimeoutError is an OSError
        raise BadSegmentBody() from exc


class SegmentBody:
    def __init__(self, chunks: AsyncIterator[bytes], content_type: str) -> None:
        self._chunks = chunks
        self._content_type = content_type
        self._consumed = False

    async def _read_all(self) -> bytes:
        self._consumed = True
        parts: list[bytes] = []
        size = 0
        async for chunk in self._chunks:
            size += len(chunk)
            if size > MAX_SEGMENT_BYTES:
                raise BadSegmentBody()
            parts.append(chunk)
        return b"".join(parts)

    async def read(self) -> bytes:
        """The segment bytes; raises BadSegmentBody."""
        data = await self._read_all()
        if is_uri(self._content_type):
            return await fetch(data.decode("utf-8", errors="replace").strip())
        return data

    async def drain(self) -> None:
        """Read and drop what the client sent, when the request is refused before step 6."""
        if self._consumed:
            return
        self._consumed = True
        async for _ in self._chunks:
            pass
