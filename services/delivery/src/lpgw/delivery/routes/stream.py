"""`GET|HEAD /stream/{request_id}/{file}` (ai-api.md §4): a stored result's bytes."""

from lpgw.blobs import BlobError, BlobStore
from lpgw.delivery import metrics
from lpgw.delivery.media_keys import InvalidMediaPath, media_key
from lpgw.delivery.replies import error_reply
from lpgw.delivery.settings import DeliverySettings
from lpgw.service.logs import bind_log_context, get_logger
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = get_logger(__name__)


async def stream_file(request: Request) -> Response:
    request_id: str = request.path_params["request_id"]
    store: BlobStore = request.app.state.store
    settings: DeliverySettings = request.app.state.settings
    with bind_log_context(request_id=request_id):
        try:
            data, content_type = await store.get(media_key(request_id, request.path_params["file"]))
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


routes = [Route("/stream/{request_id}/{file}", stream_file, methods=["GET", "HEAD"])]
