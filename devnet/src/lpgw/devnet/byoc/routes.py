"""The BYOC HTTP routes of the devnet (wire.md §7.2, §7.6): thin handlers that read headers,
call the core and leave statuses to the caller's `refuse` (the devnet's one mapping).

Like the reference they answer any other method with 405 `Method not allowed`.
"""

import hmac
import logging
from collections.abc import Awaitable, Callable

from lpgw.devnet.byoc.admission import admit
from lpgw.devnet.byoc.errors import InvalidAuthorization
from lpgw.devnet.byoc.registry import Registration
from lpgw.devnet.byoc.relay import JobRelay
from lpgw.devnet.byoc.tokens import issue_token
from lpgw.devnet.errors import DevnetError, RequestDecodeError
from lpgw.devnet.node import Node
from lpgw.wire.byoc import PROCESS_PATH_PREFIX, REGISTER_PATH, TOKEN_PATH, UNREGISTER_PATH
from lpgw.wire.errors import WireError
from lpgw.wire.headers import (
    AUTHORIZATION_HEADER,
    BYOC_JOB_HEADER,
    CAPABILITY_HEADER,
    ETH_ADDRESS_HEADER,
    PAYMENT_HEADER,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_JOB_BYTES = 64 * 2**20
MAX_REGISTRATION_BYTES = 2**16

Refuse = Callable[[DevnetError | WireError], Response]
Handler = Callable[[Request], Awaitable[Response]]

log = logging.getLogger(__name__)


def _only(method: str, handler: Handler) -> Handler:
    async def checked(request: Request) -> Response:
        if request.method != method:
            return PlainTextResponse("Method not allowed\n", status_code=405)
        return await handler(request)

    return checked


async def _body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestDecodeError(f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def byoc_routes(node: Node, refuse: Refuse) -> list[Route]:
    def authorized(request: Request) -> bool:
        sent = request.headers.get(AUTHORIZATION_HEADER, "")
        return node.orch_secret is not None and hmac.compare_digest(sent, node.orch_secret)

    async def get_token(request: Request) -> Response:
        try:
            token = issue_token(
                node,
                request.headers.get(ETH_ADDRESS_HEADER, ""),
                request.headers.get(CAPABILITY_HEADER, ""),
            )
        except (DevnetError, WireError) as error:
            return refuse(error)
        return JSONResponse(token.to_json())

    async def process(request: Request) -> Response:
        try:
            body = await _body(request, MAX_JOB_BYTES)
            admitted = await admit(
                node,
                request.headers.get(BYOC_JOB_HEADER, ""),
                request.headers.get(PAYMENT_HEADER, ""),
            )
        except (DevnetError, WireError) as error:
            return refuse(error)
        return JobRelay(
            admitted,
            node.byoc,
            route=request.path_params["route"],
            body=body,
            content_type=request.headers.get("content-type", ""),
            debit_interval_s=node.byoc_debit_interval_s,
        )

    async def register(request: Request) -> Response:
        try:
            if not authorized(request):
                raise InvalidAuthorization()
            registration = Registration.from_json(await _body(request, MAX_REGISTRATION_BYTES))
        except DevnetError as error:
            return refuse(error)
        node.byoc.register(registration)
        log.info(
            "byoc_capability_registered",
            extra={
                "capability": registration.name,
                "url": registration.url,
                "capacity": registration.capacity,
                "price": str(registration.price),
            },
        )
        return Response("ok", media_type="application/json")

    async def unregister(request: Request) -> Response:
        try:
            if not authorized(request):
                raise InvalidAuthorization()
            body = await _body(request, MAX_REGISTRATION_BYTES)
        except DevnetError as error:
            return refuse(error)
        name = body.decode("utf-8", errors="replace").strip()
        node.byoc.unregister(name)
        log.info("byoc_capability_unregistered", extra={"capability": name})
        return Response("ok", media_type="application/json")

    return [
        Route(TOKEN_PATH, _only("GET", get_token), methods=ANY_METHOD),
        Route(PROCESS_PATH_PREFIX + "{route:path}", _only("POST", process), methods=ANY_METHOD),
        Route(REGISTER_PATH, _only("POST", register), methods=ANY_METHOD),
        Route(UNREGISTER_PATH, _only("POST", unregister), methods=ANY_METHOD),
    ]
