"""CORS for players: any web page may play the gateway's streams and read its media.

Every answer carries `Access-Control-Allow-Origin: *`, whether or not the request named an
origin: a CDN that cached an answer fetched without `Origin` then serves it to browsers too.
Players read `Content-Length` and `Content-Range` (byte-range requests), so those are exposed.
Preflights (`OPTIONS`, sent before a `Range` request from a page) are answered here, for any
path, without reaching the routes. Nothing is served with credentials, so `*` is safe.
"""

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_METHODS = "GET, HEAD, OPTIONS"
EXPOSE_HEADERS = "Content-Length, Content-Range, Accept-Ranges"
PREFLIGHT_MAX_AGE_S = 86400


class PlayerCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            requested = Headers(scope=scope).get("access-control-request-headers")
            headers = {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": requested or "Range",
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
                "Allow": ALLOW_METHODS,
            }
            await Response(status_code=204, headers=headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = "*"
                headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)
