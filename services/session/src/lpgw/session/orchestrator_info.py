"""A fresh OrchestratorInfo (auth token, price, service URI) for one job's (pipeline, model).

GetOrchestrator WITH the job's capabilities returns the exact price and a new auth token
valid 30 min. Like the reference, an answer is reused until 180 s (10 % of the token's life)
before its expiry, and forgotten as soon as an attempt with it fails.
gRPC errors become attempt failures here, once.
"""

import time
from collections.abc import Callable
from typing import Protocol

from lpgw.session.failures import OrchestratorRefused, OrchestratorUnreachable
from lpgw.session.signer_client import GatewayIdentity
from lpgw.wire.capabilities import ai_discovery_capabilities
from lpgw.wire.errors import InvalidOrchestratorUrl, OrchestratorRejected, OrchestratorUnavailable
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import build_orchestrator_request

REFRESH_BEFORE_EXPIRY_S = 180.0
GET_ORCHESTRATOR_TIMEOUT_S = 6.0


class InfoSource(Protocol):
    """What is needed of an orchestrator client (lpgw.wire.client has this shape)."""

    async def get_orchestrator(
        self,
        url: str,
        request: pb.OrchestratorRequest,
        timeout: float = 6.0,  # noqa: ASYNC109 - mirrors OrchestratorClient
    ) -> pb.OrchestratorInfo: ...


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
        self._cache: dict[tuple[str, str, str], pb.OrchestratorInfo] = {}

    async def get(self, url: str, pipeline: str, model_id: str) -> pb.OrchestratorInfo:
        key = (url, pipeline, model_id)
        cached = self._cache.get(key)
        if cached is not None and self._usable(cached):
            return cached
        request = build_orchestrator_request(
            self._identity.address,
            self._identity.sig,
            ai_discovery_capabilities(pipeline, model_id),
        )
        try:
            info = await self._client.get_orchestrator(url, request, GET_ORCHESTRATOR_TIMEOUT_S)
        except (OrchestratorUnavailable, InvalidOrchestratorUrl) as exc:
            raise OrchestratorUnreachable(str(exc)) from exc
        except OrchestratorRejected as exc:
            raise OrchestratorRefused(f"{exc.code}: {exc.message}") from exc
        if not info.transcoder or not info.HasField("auth_token"):
            raise OrchestratorRefused("answer without service URI or auth token")
        self._cache[key] = info
        return info

    def forget(self, url: str, pipeline: str, model_id: str) -> None:
        self._cache.pop((url, pipeline, model_id), None)

    def _usable(self, info: pb.OrchestratorInfo) -> bool:
        return info.auth_token.expiration - self._clock() > REFRESH_BEFORE_EXPIRY_S
