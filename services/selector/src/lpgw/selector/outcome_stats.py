"""How jobs went on one orchestrator for one (pipeline, model), learned from OUTCOMES.

Counts only grow (Redis HINCRBY keeps them exact across replicas); the recent success rate and
job latency are exponentially weighted moving averages, so a few fresh failures push an
orchestrator down quickly and a few successes bring it back.
"""

from dataclasses import dataclass

from lpgw.selector.orchestrators import RawHash, text

ALPHA = 0.3
"""Weight of the newest outcome in the moving averages."""


@dataclass(frozen=True)
class OutcomeStats:
    successes: int = 0
    failures: int = 0
    success_rate: float = 1.0
    """Recent success rate in [0, 1]; an orchestrator with no history starts optimistic (1.0),
    like the reference, which tries unused sessions first."""
    latency_ms: float | None = None
    """Recent latency of successful attempts."""


def apply_outcome(
    stats: OutcomeStats, *, ok: bool, latency_ms: float, alpha: float = ALPHA
) -> OutcomeStats:
    """The stats after one more attempt."""
    rate = (1 - alpha) * stats.success_rate + alpha * (1.0 if ok else 0.0)
    latency = stats.latency_ms
    if ok:
        latency = latency_ms if latency is None else (1 - alpha) * latency + alpha * latency_ms
    return OutcomeStats(
        successes=stats.successes + (1 if ok else 0),
        failures=stats.failures + (0 if ok else 1),
        success_rate=rate,
        latency_ms=latency,
    )


def averages_hash(stats: OutcomeStats) -> dict[str, str]:
    """The moving-average fields (the counts are written with HINCRBY)."""
    fields = {"success_rate": repr(stats.success_rate)}
    if stats.latency_ms is not None:
        fields["latency_ms"] = repr(stats.latency_ms)
    return fields


def stats_from_hash(raw: RawHash) -> OutcomeStats:
    fields = {text(k): text(v) for k, v in raw.items()}
    latency = fields.get("latency_ms")
    return OutcomeStats(
        successes=int(fields.get("successes", "0")),
        failures=int(fields.get("failures", "0")),
        success_rate=float(fields.get("success_rate", "1.0")),
        latency_ms=float(latency) if latency else None,
    )
