"""`GET|HEAD /stream/{request_id}/{file}` (ai-api.md §4): a stored result's bytes."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from lpgw.blobs import BlobError
from lpgw.delivery import metrics
from lpgw.delivery.deps import SettingsDep, StoreDep
from lpgw.delivery.media_keys import InvalidMediaPath, media_key
from lpgw.delivery.replies import error_reply
from lpgw.service.logs import bind_log_context, get_logger

log = get_logger(__name__)
router = APIRouter()


@router.api_route(
    "/stream/{request_id}/{file}",
    methods=["GET", "HEAD"],
    summary="A media file re-hosted from an AI result",
    response_class=Response,
)
async def stream_file(
    request_id: str, file: str, request: Request, settings: SettingsDep, store: StoreDep
) -> Response:
    with bind_log_context(request_id=request_id):
        try:
            data, content_type = await store.get(media_key(request_id, file))
        except (InvalidMediaPath, BlobError) as exc:
            status, body = error_reply(exc)
            if status >= 500:
                log.warning("media_store_failed", extra={"error": str(exc)})
            metrics.record(status, 0)
            return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    headers = {
        "Cache-Control": f"public, max-age={settings.delivery_cache_max_age_s}",
        "X-Content-Type-Options": "nosniff",
        "Content-Length": str(len(data)),
    }
    content = b"" if request.method == "HEAD" else data
    metrics.record(200, len(content))
    return Response(content, media_type=content_type, headers=headers)
