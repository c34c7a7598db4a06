"""Redis edge of the selector: orchestrator records and outcome statistics.

Records live in one hash per orchestrator (Keys.orchestrator) listed in a set
(Keys.orchestrators); stats in one hash per (orchestrator, pipeline, model)
(Keys.orchestrator_stats). Every replica reads the same keys, so every replica ranks alike.
"""

from collections.abc import Sequence

from lpgw.selector.orchestrators import OrchestratorRecord, from_hash, text, to_hash
from lpgw.selector.outcome_stats import OutcomeStats, apply_outcome, averages_hash, stats_from_hash
from lpgw.state.keys import Keys
from redis.asyncio import Redis
from redis.exceptions import WatchError

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
        async with self._redis.pipeline(transaction=False) as pipe:
            for url in urls:
                pipe.hgetall(self._keys.orchestrator_stats(url, pipeline, model_id))
            raws = await pipe.execute()
        return {url: stats_from_hash(raw) for url, raw in zip(urls, raws, strict=True)}

    async def record_outcome(
        self, url: str, pipeline: str, model_id: str, *, ok: bool, latency_ms: float
    ) -> OutcomeStats:
        """Counts with HINCRBY; the averages read-modify-write under WATCH, retried when another
        handler (this replica's or another's) changed the hash in between, so none is lost."""
        key = self._keys.orchestrator_stats(url, pipeline, model_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    current = stats_from_hash(await pipe.hgetall(key))
                    updated = apply_outcome(current, ok=ok, latency_ms=latency_ms)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.hincrby(key, "successes" if ok else "failures", 1)
                    pipe.hset(key, mapping=averages_hash(updated))  # type: ignore[arg-type]
                    pipe.expire(key, STATS_TTL_S)
                    await pipe.execute()
                    return updated
                except WatchError:
                    continue
