"""The probe loop: GetOrchestrator (general info) on every configured orchestrator.

All orchestrators are probed concurrently, each bounded by the probe timeout, immediately at
start and then every interval. Each answer (or failure) becomes a record in Redis; a failure
keeps what earlier probes learned and marks the orchestrator unreachable until it answers again.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from lpgw.selector.orchestrators import OrchestratorRecord, probe_failed, reachable
from lpgw.selector.probe_records import record_from_info
from lpgw.selector.store import OrchestratorStore
from lpgw.signer_client import GatewayIdentity
from lpgw.wire.client import InfoSource
from lpgw.wire.errors import WireError
from lpgw.wire.orchestrator_request import build_orchestrator_request
from redis.exceptions import RedisError

logger = logging.getLogger("lpgw.selector.probing")


class Prober:
    def __init__(
        self,
        client: InfoSource,
        store: OrchestratorStore,
        urls: Sequence[str],
        identity: GatewayIdentity,
        *,
        timeout_s: float = 6.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._store = store
        self._urls = list(urls)
        self._request = build_orchestrator_request(identity.address, identity.sig)
        self._timeout_s = timeout_s
        self._clock = clock

    async def probe_all(self) -> list[OrchestratorRecord]:
        """One round over every orchestrator; returns the stored records."""
        return list(await asyncio.gather(*(self.probe(url) for url in self._urls)))

    async def probe(self, url: str) -> OrchestratorRecord:
        previous = await self._store.load(url)
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._timeout_s + 1.0):
                info = await self._client.get_orchestrator(url, self._request, self._timeout_s)
        except (WireError, TimeoutError) as exc:
            record = probe_failed(previous, url, _describe(exc), now=self._clock())
        else:
            latency_ms = (time.monotonic() - started) * 1000
            record = record_from_info(previous, url, info, latency_ms=latency_ms, now=self._clock())
        await self._store.save(record)
        logger.info(
            "orchestrator_probed",
            extra={
                "orchestrator": url,
                "ok": reachable(record, now=self._clock(), stale_after_s=None),
                "latency_ms": record.latency_ms,
                "error": record.last_error,
            },
        )
        return record

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        """Probe now and every `interval_s` until `stop` is set."""
        while not stop.is_set():
            try:
                await self.probe_all()
            except RedisError as exc:
                logger.warning("probe_round_not_stored", extra={"error": type(exc).__name__})
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except TimeoutError:
                continue


def _describe(exc: BaseException) -> str:
    """Type and message: orchestrator errors carry no secret of ours."""
    if isinstance(exc, TimeoutError):
        return "TimeoutError: probe timed out"
    return f"{type(exc).__name__}: {exc}"
