"""`PUT`/`POST /live/{stream}/{seq}.ts|.mp4`: HTTP push ingest with the reference's answers
(facts 56–59). Errors are `text/plain`, as the reference's push clients expect."""

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from lpgw.intake import metrics
from lpgw.intake.body import read_body
from lpgw.intake.deps import VideoDep
from lpgw.intake.errors import BodyTooLarge
from lpgw.intake.video.errors import (
    AuthDenied,
    AuthUnavailable,
    BadPush,
    IngestUnavailable,
    NotTranscoded,
    TooManyStreams,
    TranscodeTimeout,
    UnknownKey,
    UnprobeableMedia,
    VideoRefused,
)
from lpgw.intake.video.multipart import content_type, multipart_body, new_boundary
from lpgw.intake.video.push import parse_push
from lpgw.service.logs import bind_log_context, get_logger

PUSH_PATH = "/live/{stream}/{name}"
PIPELINE = "http-push"
NO_SESSIONS = "No sessions available"
STATUS: dict[type[Exception], int] = {
    BadPush: 400,
    UnknownKey: 403,
    AuthDenied: 403,
    BodyTooLarge: 413,
    UnprobeableMedia: 422,
    AuthUnavailable: 503,
    TooManyStreams: 503,
    IngestUnavailable: 503,
    NotTranscoded: 503,
    TranscodeTimeout: 504,
}
log = get_logger(__name__)
router = APIRouter(tags=["live video"])


def push_status(error: Exception) -> int:
    """The HTTP status of a refused push (500 for a reason this table forgot)."""
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 500)


PUSH_DOC: dict[str, Any] = {
    "summary": "Push one segment of a live stream",
    "description": (
        "The body is one MPEG-TS (`.ts`) or MP4 (`.mp4`) segment; `{name}` is "
        "`{seq}.ts` or `{seq}.mp4`. Answers once the segment is transcoded; with "
        "`Accept: multipart/mixed`, the renditions are the parts of the answer."
    ),
    "response_class": Response,
    "responses": {
        200: {"content": {"multipart/mixed": {}}, "description": "Transcoded."},
        **{
            status: {"content": {"text/plain": {}}, "description": why}
            for status, why in (
                (400, "Bad path or header."),
                (403, "Refused by key or auth webhook."),
                (413, "Body larger than INTAKE_PUSH_MAX_BYTES."),
                (422, "Body is not readable video."),
                (503, "No orchestrator, too many streams, or a dependency unavailable."),
                (504, "Not transcoded within INTAKE_PUSH_WAIT_S."),
            )
        },
    },
}


@router.put(PUSH_PATH, operation_id="push_segment_put", **PUSH_DOC)
@router.post(PUSH_PATH, operation_id="push_segment_post", **PUSH_DOC)
async def push_segment(stream: str, name: str, request: Request, video: VideoDep) -> Response:
    with bind_log_context(stream_id=stream), metrics.observe(PIPELINE) as observed:
        try:
            parsed = parse_push(stream, name, request.headers, str(request.url))
            grant = await video.push.admit(parsed)
            body = await read_body(request, video.settings.intake_push_max_bytes)
            record = await video.push.take(parsed, grant, body, time.time())
            if not record.transcoded:
                raise NotTranscoded(NO_SESSIONS)
            if parsed.multipart:
                boundary = new_boundary()
                parts = await video.push.renditions(record)
                response = Response(
                    multipart_body(parts, boundary), media_type=content_type(boundary)
                )
            else:
                response = Response(status_code=200)
        except (VideoRefused, BodyTooLarge) as exc:
            response = PlainTextResponse(str(exc), status_code=push_status(exc))
        observed.status = response.status_code
        log.info("push_answered", extra={"file": name, "status": response.status_code})
    return response


@router.api_route(
    PUSH_PATH, methods=["GET", "HEAD", "DELETE", "PATCH", "OPTIONS"], include_in_schema=False
)
async def push_wrong_method(stream: str, name: str) -> Response:
    return PlainTextResponse(
        "method not allowed: push with PUT or POST", 405, headers={"Allow": "PUT, POST"}
    )
