"""One port for gRPC and HTTP, split the way go-livepeer splits them (wire.md §1)."""

from starlette.types import ASGIApp, Receive, Scope, Send


def is_grpc(scope: Scope) -> bool:
    """HTTP/2 and a content type starting with `application/grpc`."""
    if scope["type"] != "http" or scope.get("http_version") != "2":
        return False
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.startswith(b"application/grpc"))
    return False


class Multiplexer:
    def __init__(self, grpc_app: ASGIApp, http_app: ASGIApp) -> None:
        self._grpc = grpc_app
        self._http = http_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_grpc(scope):
            await self._grpc(scope, receive, send)
        else:
            await self._http(scope, receive, send)
