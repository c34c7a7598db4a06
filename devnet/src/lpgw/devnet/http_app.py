"""The plain HTTP side of the devnet and the one place errors become HTTP statuses."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from lpgw.devnet.byoc.errors import (
    InsufficientJobBalance,
    InvalidAuthorization,
    JobCredentialsRefused,
    MalformedJobDetails,
    MissingCapability,
    MissingEthAddress,
    NoCapacity,
    PriceUnavailable,
    RegistrationRefused,
    TicketParamsUnavailable,
)
from lpgw.devnet.byoc.routes import byoc_routes
from lpgw.devnet.errors import (
    DevnetError,
    InjectedFailure,
    InsufficientCapacity,
    InternalError,
    InvalidParameters,
    PaymentRejected,
    RequestDecodeError,
)
from lpgw.devnet.jobs.planning import PLANNERS
from lpgw.devnet.jobs.service import AIJobs, JsonAnswer, RequestHeaders
from lpgw.devnet.node import Node
from lpgw.devnet.top_up import top_up
from lpgw.devnet.transcoding.body import SegmentBody
from lpgw.devnet.transcoding.errors import (
    BadSegmentBody,
    InvalidDuration,
    OrchestratorCapped,
    SegmentHashMismatch,
)
from lpgw.devnet.transcoding.segment import AdmittedSegment, SegmentHeaders, Segments
from lpgw.pipelines import PIPELINES, Pipeline
from lpgw.pm import ReceiveError
from lpgw.wire.byoc import ByocError
from lpgw.wire.errors import MalformedPayment, MalformedSegment, SegmentCredentialError, WireError
from lpgw.wire.headers import AUTHORIZATION_HEADER, PAYMENT_HEADER, SEGMENT_HEADER
from lpgw.wire.transcoding import UnsupportedProfile
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

MAX_BODY_BYTES = 2**20

PROTOBUF = "application/x-protobuf"

Refusal = DevnetError | WireError | ReceiveError

_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (RequestDecodeError, 400),
    (InvalidParameters, 400),
    (PaymentRejected, 400),
    (ReceiveError, 400),
    (BadSegmentBody, 400),
    (MalformedPayment, 402),
    (MalformedSegment, 403),
    (SegmentCredentialError, 403),
    (UnsupportedProfile, 403),
    (InvalidDuration, 403),
    (OrchestratorCapped, 403),
    (SegmentHashMismatch, 403),
    (InsufficientCapacity, 503),
    (InjectedFailure, 500),
    (InternalError, 500),
    (MissingEthAddress, 400),
    (MissingCapability, 400),
    (PriceUnavailable, 503),
    (TicketParamsUnavailable, 400),
    (JobCredentialsRefused, 400),
    (NoCapacity, 503),
    (InsufficientJobBalance, 400),
    (MalformedJobDetails, 400),
    (InvalidAuthorization, 400),
    (RegistrationRefused, 400),
    (ByocError, 400),
)


def status_for(error: Refusal) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def error_response(error: Refusal) -> Response:
    """Reference style: text/plain, the message and a newline."""
    return PlainTextResponse(f"{error}\n", status_code=status_for(error))


async def _body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestDecodeError(f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


SSE_HEADERS = {"Cache-Control": "no-cache"}


def http_app(node: Node) -> Starlette:
    jobs = AIJobs(node)
    segments = Segments(node)

    def ai_route(pipeline: Pipeline[Any]) -> Callable[[Request], Awaitable[Response]]:
        async def post_ai(request: Request) -> Response:
            headers = RequestHeaders(
                segment=request.headers.get(SEGMENT_HEADER, ""),
                payment=request.headers.get(PAYMENT_HEADER, ""),
                authorization=request.headers.get(AUTHORIZATION_HEADER, ""),
                content_type=request.headers.get("content-type", ""),
            )
            try:
                body = await _body(request, pipeline.max_request_bytes)
                answer = await jobs.handle(pipeline, body, headers)
            except (DevnetError, WireError, ReceiveError) as error:
                return error_response(error)
            if isinstance(answer, JsonAnswer):
                return JSONResponse(answer.body)
            return StreamingResponse(
                answer.frames, media_type="text/event-stream", headers=SSE_HEADERS
            )

        return post_ai

    async def post_payment(request: Request) -> Response:
        try:
            await _body(request)
            result = await top_up(
                node,
                request.headers.get(SEGMENT_HEADER, ""),
                request.headers.get(PAYMENT_HEADER, ""),
            )
        except (DevnetError, WireError, ReceiveError) as error:
            return error_response(error)
        return Response(result.SerializeToString(), media_type=PROTOBUF)

    async def post_segment(request: Request) -> Response:
        """Refusals answer with their status; once admitted the 200 and its headers go out
        before transcoding starts (wire.md §7.3 step 8) and the TranscodeResult follows."""
        headers = SegmentHeaders(
            segment=request.headers.get(SEGMENT_HEADER, ""),
            payment=request.headers.get(PAYMENT_HEADER, ""),
        )
        body = SegmentBody(request.stream(), request.headers.get("content-type", ""))
        try:
            admitted = await segments.admit(headers, body)
        except (DevnetError, WireError, ReceiveError) as error:
            await body.drain()
            return error_response(error)
        return StreamingResponse(_result(admitted), media_type=PROTOBUF)

    async def _result(admitted: AdmittedSegment) -> AsyncIterator[bytes]:
        yield (await segments.transcode(admitted)).SerializeToString()

    async def get_ledger(request: Request) -> Response:
        """Everything the devnet was paid; no auth, it is a test orchestrator."""
        if node.payments is None:
            return JSONResponse({"payments": False, "senders": {}})
        return JSONResponse(node.payments.ledger_json())

    async def get_stream(request: Request) -> Response:
        stored = node.media.get(request.path_params["request_id"], request.path_params["file"])
        if stored is None:
            return PlainTextResponse("404 page not found\n", status_code=404)
        return Response(stored.data, media_type=stored.content_type)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "address": node.key.checksum_address})

    return Starlette(
        routes=[
            *(
                Route(pipeline.path, ai_route(pipeline), methods=["POST"])
                for pipeline in PIPELINES.values()
                if pipeline.name in PLANNERS
            ),
            Route("/payment", post_payment, methods=["POST"]),
            Route("/segment", post_segment, methods=["POST"]),
            Route("/ledger", get_ledger, methods=["GET"]),
            Route("/stream/{request_id}/{file:path}", get_stream, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            *byoc_routes(node, error_response),
        ]
    )
