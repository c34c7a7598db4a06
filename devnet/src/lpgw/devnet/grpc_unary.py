"""Unary gRPC over ASGI (HTTP/2 with trailers), enough to be a gRPC server on a shared port.

A message is framed as 1 byte compressed flag, 4 bytes big-endian length, then the protobuf.
The answer is always HTTP 200 with `content-type: application/grpc`; the outcome is in the
`grpc-status` / `grpc-message` trailers (ASGI `http.response.trailers` extension).
"""

import enum
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from google.protobuf.message import DecodeError, Message
from lpgw.devnet.errors import OrchestratorRequestRejected
from starlette.types import Receive, Scope, Send

MAX_MESSAGE_BYTES = 4 * 2**20
_PREFIX = 5


class GrpcStatus(enum.IntEnum):
    OK = 0
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    RESOURCE_EXHAUSTED = 8
    UNIMPLEMENTED = 12
    INTERNAL = 13


class GrpcFailure(Exception):
    def __init__(self, status: GrpcStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def frame(payload: bytes) -> bytes:
    return b"\x00" + len(payload).to_bytes(4, "big") + payload


def unframe(body: bytes) -> bytes:
    """The single uncompressed message of a unary request."""
    if len(body) < _PREFIX:
        raise GrpcFailure(GrpcStatus.INTERNAL, "grpc: truncated message frame")
    if body[0] != 0:
        raise GrpcFailure(GrpcStatus.UNIMPLEMENTED, "grpc: compressed messages are not supported")
    length = int.from_bytes(body[1:_PREFIX], "big")
    if len(body) != _PREFIX + length:
        raise GrpcFailure(GrpcStatus.INTERNAL, "grpc: expected exactly one message")
    return body[_PREFIX:]


def _percent_encode(message: str) -> str:
    """grpc-message: printable ASCII except '%' passes, everything else is %XX of UTF-8."""
    return urllib.parse.quote(message, safe="".join(chr(c) for c in range(0x20, 0x7F) if c != 0x25))


Req = TypeVar("Req", bound=Message)


class UnaryMethod(Protocol):
    async def call(self, payload: bytes) -> bytes:
        """The serialized response to one serialized request; raises GrpcFailure."""
        ...


@dataclass(frozen=True)
class Unary(Generic[Req]):
    """One unary method: how to parse its request and what answers it."""

    request_type: type[Req]
    handler: Callable[[Req], Awaitable[Message]]

    async def call(self, payload: bytes) -> bytes:
        try:
            request = self.request_type.FromString(payload)
        except DecodeError as exc:
            raise GrpcFailure(
                GrpcStatus.INTERNAL, f"grpc: error unmarshalling request: {exc}"
            ) from exc
        try:
            response = await self.handler(request)
        except OrchestratorRequestRejected as exc:
            raise GrpcFailure(GrpcStatus.UNKNOWN, str(exc)) from exc
        return response.SerializeToString()


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise GrpcFailure(GrpcStatus.UNKNOWN, "client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_MESSAGE_BYTES + _PREFIX:
            raise GrpcFailure(GrpcStatus.RESOURCE_EXHAUSTED, "grpc: message too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class GrpcApp:
    """ASGI app serving unary methods by full path, e.g. `/net.Orchestrator/GetOrchestrator`."""

    def __init__(self, methods: Mapping[str, UnaryMethod]) -> None:
        self._methods = dict(methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        status, detail = GrpcStatus.OK, ""
        try:
            payload = unframe(await _read_body(receive))
            method = self._methods.get(scope["path"])
            if method is None:
                raise GrpcFailure(GrpcStatus.UNIMPLEMENTED, f"unknown method {scope['path']}")
            body = frame(await method.call(payload))
        except GrpcFailure as failure:
            status, detail = failure.status, str(failure)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/grpc")],
                "trailers": True,
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})
        trailers = [(b"grpc-status", str(int(status)).encode())]
        if detail:
            trailers.append((b"grpc-message", _percent_encode(detail).encode("ascii")))
        await send({"type": "http.response.trailers", "headers": trailers, "more_trailers": False})
