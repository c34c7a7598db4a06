"""gRPC client of an orchestrator's `net.Orchestrator` service.

Like the reference gateway it opens a new connection per call (3 s to connect) and closes it
afterwards. `https://` orchestrators are trusted on first use (`certificates.py`): the pin is
kept in memory per host:port, and when a pinned orchestrator becomes unreachable the
certificate is fetched again; a different one means the orchestrator restarted, so it is
pinned and the call retried once. `http://` orchestrators are dialled in cleartext (h2c).
gRPC failures become OrchestratorUnavailable / OrchestratorRejected here and nowhere else.
"""

import asyncio
from typing import Protocol

import grpc
from lpgw.wire.certificates import PinnedCertificate, fetch_certificate
from lpgw.wire.endpoints import Endpoint, parse_orchestrator_url
from lpgw.wire.errors import OrchestratorError, OrchestratorRejected, OrchestratorUnavailable
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.net import lp_rpc_pb2_grpc

__all__ = [
    "CONNECT_TIMEOUT_S",
    "InfoSource",
    "OrchestratorClient",
    "OrchestratorError",
    "OrchestratorRejected",
    "OrchestratorUnavailable",
]

CONNECT_TIMEOUT_S = 3.0

_UNREACHABLE = frozenset(
    [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED]
)


def _rpc_error(exc: grpc.aio.AioRpcError) -> OrchestratorError:
    """The one place where gRPC statuses become library errors."""
    code = exc.code()
    details = exc.details() or ""
    if code in _UNREACHABLE:
        return OrchestratorUnavailable(f"{code.name}: {details}")
    return OrchestratorRejected(code.name, details)


class InfoSource(Protocol):
    """What callers need of an orchestrator client (`OrchestratorClient` is the production
    one; tests stand in small fakes)."""

    async def get_orchestrator(
        self,
        url: str,
        request: pb.OrchestratorRequest,
        timeout: float = 6.0,  # noqa: ASYNC109 - also the orchestrator's gRPC deadline
    ) -> pb.OrchestratorInfo: ...


class OrchestratorClient:
    def __init__(self, *, connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
        self._connect_timeout = connect_timeout
        self._pins: dict[str, PinnedCertificate] = {}
        self._fetching: dict[str, asyncio.Future[PinnedCertificate]] = {}

    def pinned_certificate(self, url: str) -> PinnedCertificate | None:
        """The certificate currently trusted for the orchestrator at `url`, if any."""
        return self._pins.get(parse_orchestrator_url(url).target)

    async def get_orchestrator(
        self,
        url: str,
        request: pb.OrchestratorRequest,
        timeout: float = 6.0,  # noqa: ASYNC109 - also sent to the orchestrator as the gRPC deadline
    ) -> pb.OrchestratorInfo:
        """Call GetOrchestrator; the whole call, certificate fetches included, fits `timeout`."""
        endpoint = parse_orchestrator_url(url)
        deadline = asyncio.get_running_loop().time() + timeout
        if not endpoint.secure:
            return await self._get_orchestrator(endpoint, None, request, deadline)
        pin = self._pins.get(endpoint.target)
        if pin is None:
            return await self._get_orchestrator(
                endpoint, await self._pin(endpoint, deadline), request, deadline
            )
        try:
            return await self._get_orchestrator(endpoint, pin, request, deadline)
        except OrchestratorUnavailable:
            current = await self._pin(endpoint, deadline)
            if current.pem == pin.pem:
                raise
        return await self._get_orchestrator(endpoint, current, request, deadline)

    async def end_transcoding_session(
        self,
        url: str,
        auth_token: pb.AuthToken,
        timeout: float = 6.0,  # noqa: ASYNC109 - also the orchestrator's gRPC deadline
    ) -> None:
        """Tell the orchestrator a stream's transcoding session is over (frees its capacity)."""
        endpoint = parse_orchestrator_url(url)
        deadline = asyncio.get_running_loop().time() + timeout
        pin = None
        if endpoint.secure:
            pin = self._pins.get(endpoint.target) or await self._pin(endpoint, deadline)
        request = pb.EndTranscodingSessionRequest(auth_token=auth_token)
        async with self._channel(endpoint, pin) as channel:
            await self._connect(channel, endpoint.target, deadline)
            stub = lp_rpc_pb2_grpc.OrchestratorStub(channel)  # type: ignore[no-untyped-call]
            try:
                await stub.EndTranscodingSession(request, timeout=self._remaining(deadline))
            except grpc.aio.AioRpcError as exc:
                raise _rpc_error(exc) from exc

    def _remaining(self, deadline: float) -> float:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise OrchestratorUnavailable("deadline exceeded")
        return remaining

    async def _pin(self, endpoint: Endpoint, deadline: float) -> PinnedCertificate:
        """Fetch and pin the certificate; calls for one target at the same moment (many
        streams starting together) share one fetch."""
        fetching = self._fetching.get(endpoint.target)
        if fetching is None:
            timeout = min(self._connect_timeout, self._remaining(deadline))
            fetching = asyncio.ensure_future(
                asyncio.to_thread(fetch_certificate, endpoint.host, endpoint.port, timeout)
            )
            self._fetching[endpoint.target] = fetching
            fetching.add_done_callback(lambda _: self._fetching.pop(endpoint.target, None))
        try:
            pin = await asyncio.shield(fetching)
        except (OSError, ValueError) as exc:
            raise OrchestratorUnavailable(
                f"cannot fetch the certificate of {endpoint.target}: {exc}"
            ) from exc
        self._pins[endpoint.target] = pin
        return pin

    def _channel(self, endpoint: Endpoint, pin: PinnedCertificate | None) -> grpc.aio.Channel:
        if pin is None:
            return grpc.aio.insecure_channel(endpoint.target)
        credentials = grpc.ssl_channel_credentials(root_certificates=pin.pem)
        options = [
            ("grpc.ssl_target_name_override", pin.name),
            ("grpc.default_authority", pin.name),
        ]
        return grpc.aio.secure_channel(endpoint.target, credentials, options=options)

    async def _connect(self, channel: grpc.aio.Channel, target: str, deadline: float) -> None:
        """Wait until connected, failing fast on a refused connection or a TLS failure."""
        try:
            async with asyncio.timeout(min(self._connect_timeout, self._remaining(deadline))):
                state = channel.get_state(try_to_connect=True)
                while state != grpc.ChannelConnectivity.READY:
                    if state in (
                        grpc.ChannelConnectivity.TRANSIENT_FAILURE,
                        grpc.ChannelConnectivity.SHUTDOWN,
                    ):
                        raise OrchestratorUnavailable(f"cannot connect to {target}")
                    await channel.wait_for_state_change(state)
                    state = channel.get_state(try_to_connect=True)
        except TimeoutError as exc:
            raise OrchestratorUnavailable(f"timed out connecting to {target}") from exc

    async def _get_orchestrator(
        self,
        endpoint: Endpoint,
        pin: PinnedCertificate | None,
        request: pb.OrchestratorRequest,
        deadline: float,
    ) -> pb.OrchestratorInfo:
        async with self._channel(endpoint, pin) as channel:
            await self._connect(channel, endpoint.target, deadline)
            stub = lp_rpc_pb2_grpc.OrchestratorStub(channel)  # type: ignore[no-untyped-call]
            try:
                info: pb.OrchestratorInfo = await stub.GetOrchestrator(
                    request, timeout=self._remaining(deadline)
                )
            except grpc.aio.AioRpcError as exc:
                raise _rpc_error(exc) from exc
        return info
