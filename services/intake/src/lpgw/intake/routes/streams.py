"""`/streams`: live streams' status, and ending one.

Ending publishes the end rather than marking it: the intake holding the stream's RTMP
publisher disconnects it (`video_ended`), and the session worker ends the stream in Redis
once it has processed every segment before the end. Until then the stream shows `live`.
"""

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from lpgw.intake.deps import VideoDep
from lpgw.intake.openapi import HTTPError
from lpgw.intake.video.errors import IngestUnavailable
from lpgw.intake.video.keys import STREAM_ID
from lpgw.intake.video.status import StreamList, StreamStatus, stream_status
from lpgw.service.logs import get_logger
from lpgw.video.records import StreamRecord
from redis.exceptions import RedisError

log = get_logger(__name__)


async def _authorized(request: Request, video: VideoDep) -> None:
    token = video.settings.intake_streams_api_token
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise HTTPException(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})


Authorized = Annotated[None, Depends(_authorized)]
ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": HTTPError} for status in (401, 503)}
router = APIRouter(prefix="/streams", tags=["live video"], responses=ERRORS)


@router.get("", summary="Live and retained streams, newest first", response_model=StreamList)
async def list_streams(video: VideoDep, _: Authorized) -> StreamList:
    try:
        records = await video.ingest.streams.list()
    except (RedisError, OSError) as exc:
        raise _unavailable(exc) from None
    base = video.settings.intake_media_base_url
    return StreamList(streams=[stream_status(record, base) for record in records])


@router.get(
    "/{stream_id}",
    summary="One stream's state, counters and playback URLs",
    response_model=StreamStatus,
    responses={404: {"model": HTTPError}},
)
async def get_stream(stream_id: str, video: VideoDep, _: Authorized) -> StreamStatus:
    record = await _record(video, stream_id)
    return stream_status(record, video.settings.intake_media_base_url)


@router.delete(
    "/{stream_id}",
    summary="End a live stream",
    description="Disconnects its publisher and publishes its end; the stream shows `ended` "
    "once the session has processed every segment before the end. A publisher may start it "
    "again: revoke its key to stop it for good.",
    status_code=202,
    response_model=StreamStatus,
    responses={404: {"model": HTTPError}, 409: {"model": HTTPError}},
)
async def end_stream(stream_id: str, video: VideoDep, _: Authorized) -> StreamStatus:
    record = await _record(video, stream_id)
    if record.state != "live":
        raise HTTPException(409, f"stream {stream_id} has already ended")
    try:
        ended = await video.end_stream(stream_id)
    except IngestUnavailable as exc:
        raise _unavailable(exc) from None
    if not ended:
        raise HTTPException(409, f"stream {stream_id} has already ended")
    log.info("stream_end_requested", extra={"stream_id": stream_id})
    return stream_status(record, video.settings.intake_media_base_url)


async def _record(video: VideoDep, stream_id: str) -> StreamRecord:
    if not STREAM_ID.match(stream_id):
        raise HTTPException(404, f"unknown stream {stream_id}")
    try:
        record = await video.ingest.streams.get(stream_id)
    except (RedisError, OSError) as exc:
        raise _unavailable(exc) from None
    if record is None:
        raise HTTPException(404, f"unknown stream {stream_id}")
    return record


def _unavailable(exc: Exception) -> HTTPException:
    log.warning("streams_unavailable", extra={"error": type(exc).__name__})
    return HTTPException(503, "stream state unavailable, retry later")
