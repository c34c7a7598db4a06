"""The selector's bus handlers: answer `select` requests and learn from OUTCOMES.

Both read and write Redis only, so any number of replicas can serve the queue group and
consume the outcomes together.
"""

import logging
import time
from collections.abc import Callable

from lpgw.bus.consumer import Received
from lpgw.bus.events import Candidate, Outcomes, SelectionReply, SelectionRequest
from lpgw.selector.ranking import Strategy, rank
from lpgw.selector.store import OrchestratorStore

logger = logging.getLogger("lpgw.selector.selection")


class Selection:
    def __init__(
        self,
        store: OrchestratorStore,
        *,
        stale_after_s: float | None,
        strategy: Strategy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._stale_after_s = stale_after_s
        self._strategy = strategy
        self._clock = clock

    async def select(self, request: SelectionRequest) -> SelectionReply:
        records = await self._store.all()
        stats = await self._store.stats(
            [r.url for r in records], request.pipeline, request.model_id
        )
        ranked = rank(
            records,
            stats,
            request,
            now=self._clock(),
            stale_after_s=self._stale_after_s,
            strategy=self._strategy,
        )
        logger.debug(
            "selection_answered",
            extra={
                "pipeline": request.pipeline,
                "model_id": request.model_id,
                "known": len(records),
                "candidates": [r.url for r in ranked],
            },
        )
        return SelectionReply(
            candidates=[
                Candidate(
                    url=r.url,
                    address=r.address,
                    price_per_unit=r.price_per_unit,
                    pixels_per_unit=r.pixels_per_unit,
                    latency_ms=r.latency_ms,
                    score=r.score,
                )
                for r in ranked
            ]
        )

    async def on_outcomes(self, batch: Outcomes, delivery: Received) -> None:
        await self._store.record_outcomes([o for o in batch.outcomes if o.counts])
        logger.debug(
            "outcomes_recorded",
            extra={
                "outcomes": len(batch.outcomes),
                "failed": sum(1 for outcome in batch.outcomes if not outcome.ok),
            },
        )
