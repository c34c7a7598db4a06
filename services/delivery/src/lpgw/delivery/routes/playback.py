"""What the HLS and DASH routes share: checking names, answering with a playlist or a file
(byte ranges included), cache headers, and mapping failures to error answers once."""

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lpgw.blobs import BlobStore
from lpgw.delivery import metrics
from lpgw.delivery.replies import VIDEO_FAILURES, video_error_reply
from lpgw.delivery.video.catalog import Catalog
from lpgw.delivery.video.errors import RenditionNotFound, StreamNotFound
from lpgw.delivery.video.fragments import Fragments
from lpgw.delivery.video.ranges import UnsatisfiableRange, byte_range
from lpgw.service.logs import bind_log_context, get_logger
from lpgw.video.profiles import NAME_PATTERN
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = get_logger(__name__)

HLS = "application/vnd.apple.mpegurl"
DASH = "application/dash+xml"
MPEG_TS = "video/mp2t"
LIVE = "public, max-age=1"
"""A live playlist or manifest changes with every segment (about every 2 s)."""
ENDED = "public, max-age=60"
"""An ended stream's lists change only if its publisher comes back within the retention."""
INIT = "public, max-age=60"
"""Built from the newest segment: the same unless the rendition's encoder changed."""
NO_STORE = "no-store"
_STREAM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Playback:
    """The app's video parts, kept on `app.state.playback`."""

    catalog: Catalog
    store: BlobStore
    fragments: Fragments
    retention_s: float

    @property
    def immutable(self) -> str:
        """Segments never change, but a stream id can be reused once its retention passed
        (then numbered from 0 again), so caches keep them no longer than that."""
        return f"public, max-age={int(self.retention_s)}, immutable"


def playback(request: Request) -> Playback:
    found: Playback = request.app.state.playback
    return found


def stream_id(request: Request) -> str:
    value: str = request.path_params["stream"]
    if not _STREAM_ID.fullmatch(value):
        raise StreamNotFound(value)
    return value


def rendition(request: Request) -> str:
    value: str = request.path_params["rendition"]
    if not NAME_PATTERN.match(value):
        raise RenditionNotFound(request.path_params["stream"], value)
    return value


Handler = Callable[[Request], Awaitable[Response]]


def answers(handler: Handler) -> Handler:
    """Runs a video route: failures become error answers (never cached), and every answer
    is counted."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        with bind_log_context(stream_id=request.path_params.get("stream", "")):
            try:
                response = await handler(request)
            except VIDEO_FAILURES as exc:
                status, body = video_error_reply(exc, request.url.path)
                if status >= 500:
                    log.warning("video_request_failed", extra={"error": str(exc)})
                metrics.record(status, 0)
                return JSONResponse(body, status_code=status, headers={"Cache-Control": NO_STORE})
        metrics.record(response.status_code, len(response.body))
        return response

    return run


def text(request: Request, body: str, media_type: str, cache: str) -> Response:
    return _answer(request, body.encode(), media_type, {"Cache-Control": cache}, 200)


def file(request: Request, data: bytes, media_type: str, cache: str) -> Response:
    """The whole file, or the one byte range asked for (206), or 416."""
    headers = {"Cache-Control": cache, "Accept-Ranges": "bytes"}
    try:
        wanted = byte_range(request.headers.get("range"), len(data))
    except UnsatisfiableRange as exc:
        headers["Content-Range"] = f"bytes */{exc.size}"
        headers["Cache-Control"] = NO_STORE
        return _answer(request, b"", media_type, headers, 416)
    if wanted is None:
        return _answer(request, data, media_type, headers, 200)
    headers["Content-Range"] = wanted.content_range
    return _answer(request, data[wanted.start : wanted.end + 1], media_type, headers, 206)


def _answer(
    request: Request, body: bytes, media_type: str, headers: dict[str, str], status: int
) -> Response:
    headers = {**headers, "Content-Length": str(len(body)), "X-Content-Type-Options": "nosniff"}
    content = b"" if request.method == "HEAD" else body
    return Response(content, status_code=status, media_type=media_type, headers=headers)
