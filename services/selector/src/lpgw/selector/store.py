"""Redis edge of the selector: orchestrator records and outcome statistics.

Records live in one hash per orchestrator (Keys.orchestrator) listed in a set
(Keys.orchestrators); outcome counts in one hash per (orchestrator, pipeline, model)
(Keys.orchestrator_stats) and its last outcomes in a list (Keys.orchestrator_recent). Every
replica reads the same keys, so every replica ranks alike.
"""

from collections.abc import Sequence

from lpgw.bus.events import Outcome
from lpgw.selector.orchestrators import OrchestratorRecord, from_hash, text, to_hash
from lpgw.selector.outcome_stats import RECENT, OutcomeStats, recent_entry, stats_from
from lpgw.state.keys import Keys
from redis.asyncio import Redis

STATS_TTL_S = 7 * 24 * 3600
"""Statistics of an orchestrator nobody used for a week are forgotten."""


class OrchestratorStore:
    def __init__(self, redis: "Redis", keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def load(self, url: str) -> OrchestratorRecord | None:
        raw = await self._redis.hgetall(self._keys.orchestrator(url))
        return from_hash(raw) if raw else None

    async def save(self, record: OrchestratorRecord) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys.orchestrator(record.url), mapping=to_hash(record))  # type: ignore[arg-type]
            pipe.sadd(self._keys.orchestrators, record.url)
            await pipe.execute()

    async def all(self) -> list[OrchestratorRecord]:
        members = await self._redis.smembers(self._keys.orchestrators)
        urls = sorted(text(m) for m in members)
        async with self._redis.pipeline(transaction=False) as pipe:
            for url in urls:
                pipe.hgetall(self._keys.orchestrator(url))
            raws = await pipe.execute()
        return [from_hash(raw) for raw in raws if raw]

    async def stats(
        self, urls: Sequence[str], pipeline: str, model_id: str
    ) -> dict[str, OutcomeStats]:
        """Every orchestrator's stats in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for url in urls:
                pipe.hgetall(self._keys.orchestrator_stats(url, pipeline, model_id))
                pipe.lrange(self._keys.orchestrator_recent(url, pipeline, model_id), 0, -1)
            raws = await pipe.execute()
        return {url: stats_from(raws[2 * n], raws[2 * n + 1]) for n, url in enumerate(urls)}

    async def record_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """One round trip that reads nothing: per outcome a count and an entry in the recent
        list of its (orchestrator, pipeline, model)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for outcome in outcomes:
                key = (outcome.orchestrator, outcome.pipeline, outcome.model_id)
                counts = self._keys.orchestrator_stats(*key)
                recent = self._keys.orchestrator_recent(*key)
                pipe.hincrby(counts, "successes" if outcome.ok else "failures", 1)
                pipe.lpush(recent, recent_entry(ok=outcome.ok, latency_ms=outcome.latency_ms))
                pipe.ltrim(recent, 0, RECENT - 1)
                pipe.expire(counts, STATS_TTL_S)
                pipe.expire(recent, STATS_TTL_S)
            await pipe.execute()
