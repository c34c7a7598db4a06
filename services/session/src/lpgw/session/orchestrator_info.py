"""A fresh OrchestratorInfo (auth token, price, ticket params) for one job's (pipeline, model),
and the payment session opened for it.

GetOrchestrator WITH the job's capabilities returns the exact price, a new auth token valid
30 min and, from an on-chain orchestrator, ticket params bound to us and that price. Like the
reference, an answer is reused until 180 s (10 % of the token's life) before the token
expires, and forgotten as soon as an attempt with it fails. Ticket params need fresher
answers: they expire 40 L1 blocks (~8 min) after issue and the orchestrator accepts at most
600 nonces per params, so an answer with params is reused for at most 4 min and 400 tickets.
Jobs that find no usable answer at the same moment share one GetOrchestrator call.
gRPC errors become attempt failures here, once.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from lpgw.session.failures import OrchestratorRefused, OrchestratorUnreachable
from lpgw.session.payments import PaymentSession
from lpgw.signer_client import GatewayIdentity
from lpgw.wire.capabilities import ai_discovery_capabilities
from lpgw.wire.client import InfoSource
from lpgw.wire.errors import InvalidOrchestratorUrl, OrchestratorRejected, OrchestratorUnavailable
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import build_orchestrator_request

REFRESH_BEFORE_EXPIRY_S = 180.0
GET_ORCHESTRATOR_TIMEOUT_S = 6.0
PARAMS_MAX_AGE_S = 240.0
"""Half the life of ticket params (40 blocks of 12 s): never close to the sender's expiry."""
PARAMS_MAX_TICKETS = 400
"""Well below the recipient's 600 nonces per params, with room for requests in flight."""

Key = tuple[str, str, str]


@dataclass
class FreshInfo:
    """One usable answer, and the payment session opened for it (once, by the first job)."""

    info: pb.OrchestratorInfo
    fetched_at: float
    tickets: int = 0
    payment_session: PaymentSession | None = None
    opening: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def session(
        self, open_session: Callable[[pb.OrchestratorInfo], Awaitable[PaymentSession]]
    ) -> PaymentSession:
        """The payment session for this answer, opened on first use."""
        async with self.opening:
            if self.payment_session is None:
                self.payment_session = await open_session(self.info)
            return self.payment_session


class OrchestratorInfos:
    def __init__(
        self,
        client: InfoSource,
        identity: GatewayIdentity,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._identity = identity
        self._clock = clock
        self._cache: dict[Key, FreshInfo] = {}
        self._fetching: dict[Key, asyncio.Task[FreshInfo]] = {}

    async def get(
        self,
        url: str,
        pipeline: str,
        model_id: str,
        capabilities: pb.Capabilities | None = None,
    ) -> FreshInfo:
        """`capabilities` replaces the AI discovery set (transcoding: the stream's job set, with
        the stream id as `model_id`, so every stream has its own auth token and bucket)."""
        key = (url, pipeline, model_id)
        cached = self._cache.get(key)
        if cached is not None and self._usable(cached):
            return cached
        fetching = self._fetching.get(key)
        if fetching is None:
            fetching = asyncio.create_task(self._fetch(key, capabilities))
            self._fetching[key] = fetching
            fetching.add_done_callback(lambda _: self._fetching.pop(key, None))
        return await asyncio.shield(fetching)

    def tickets_sent(self, url: str, pipeline: str, model_id: str, used: FreshInfo, n: int) -> None:
        """Count tickets paid with `used` (ignored once a newer answer replaced it)."""
        entry = self._cache.get((url, pipeline, model_id))
        if entry is used:
            entry.tickets += n

    def forget(self, url: str, pipeline: str, model_id: str) -> None:
        self._cache.pop((url, pipeline, model_id), None)

    def cached(self, url: str, pipeline: str, model_id: str) -> FreshInfo | None:
        """The usable answer already at hand, if any (no call)."""
        entry = self._cache.get((url, pipeline, model_id))
        return entry if entry is not None and self._usable(entry) else None

    async def _fetch(self, key: Key, capabilities: pb.Capabilities | None) -> FreshInfo:
        url, pipeline, model_id = key
        request = build_orchestrator_request(
            self._identity.address,
            self._identity.sig,
            capabilities or ai_discovery_capabilities(pipeline, model_id),
        )
        try:
            info = await self._client.get_orchestrator(url, request, GET_ORCHESTRATOR_TIMEOUT_S)
        except (OrchestratorUnavailable, InvalidOrchestratorUrl) as exc:
            raise OrchestratorUnreachable(str(exc)) from exc
        except OrchestratorRejected as exc:
            raise OrchestratorRefused(f"{exc.code}: {exc.message}") from exc
        if not info.transcoder or not info.HasField("auth_token"):
            raise OrchestratorRefused("answer without service URI or auth token")
        entry = FreshInfo(info, fetched_at=self._clock())
        self._cache[key] = entry
        return entry

    def _usable(self, entry: FreshInfo) -> bool:
        now = self._clock()
        if entry.info.auth_token.expiration - now <= REFRESH_BEFORE_EXPIRY_S:
            return False
        if not entry.info.HasField("ticket_params"):
            return True
        return now - entry.fetched_at < PARAMS_MAX_AGE_S and entry.tickets < PARAMS_MAX_TICKETS
