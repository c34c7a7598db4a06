"""Who the selector knows, as a list: answers `names.orchestrator_list` for the signer's
`GET /discover-orchestrators` (the reference remote signer's discovery API).

Capabilities are named "<pipeline>/<model>", as that API names them; only AI capabilities
(those with a pipeline name) are listed. `ok` says whether the orchestrator answered its last
probe, recently enough to be selected.
"""

import logging
import time
from collections.abc import Callable, Iterable

from lpgw.bus.events import OrchestratorList, OrchestratorListRequest, OrchestratorSummary
from lpgw.selector.orchestrators import OrchestratorRecord, reachable, supports
from lpgw.selector.store import OrchestratorStore
from lpgw.wire.capabilities import pipeline_for_capability
from lpgw.wire.errors import UnknownPipeline

logger = logging.getLogger("lpgw.selector.listing")


def capability_names(record: OrchestratorRecord) -> list[str]:
    """Sorted "<pipeline>/<model>" of every (capability, model) the orchestrator supports."""
    pairs = {(cap, model) for cap, models in record.models.items() for model in models}
    pairs |= set(record.prices)
    names: set[str] = set()
    for capability, model in pairs:
        if not supports(record, capability, model):
            continue
        try:
            names.add(f"{pipeline_for_capability(capability)}/{model}")
        except UnknownPipeline:
            continue
    return sorted(names)


def summaries(
    records: Iterable[OrchestratorRecord],
    caps: Iterable[str],
    *,
    now: float,
    stale_after_s: float | None,
) -> list[OrchestratorSummary]:
    """One summary per orchestrator offering any of `caps` (every one when `caps` is empty)."""
    wanted = set(caps)
    listed = []
    for record in sorted(records, key=lambda r: r.url):
        names = capability_names(record)
        if wanted and wanted.isdisjoint(names):
            continue
        listed.append(
            OrchestratorSummary(
                url=record.url,
                address=record.address,
                capabilities=names,
                latency_ms=record.latency_ms,
                ok=reachable(record, now=now, stale_after_s=stale_after_s),
            )
        )
    return listed


class Listing:
    def __init__(
        self,
        store: OrchestratorStore,
        *,
        stale_after_s: float | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._stale_after_s = stale_after_s
        self._clock = clock

    async def answer(self, request: OrchestratorListRequest) -> OrchestratorList:
        records = await self._store.all()
        listed = summaries(
            records, request.caps, now=self._clock(), stale_after_s=self._stale_after_s
        )
        logger.info("orchestrators_listed", extra={"caps": request.caps, "listed": len(listed)})
        return OrchestratorList(orchestrators=listed)
