"""How jobs went on one orchestrator for one (pipeline, model), learned from OUTCOMES.

Counts only grow (Redis HINCRBY keeps them exact across replicas); the recent success rate and
job latency are exponentially weighted moving averages, so a few fresh failures push an
orchestrator down quickly and a few successes bring it back. The store keeps the last
`RECENT` outcomes rather than the averages themselves: recording one is a write that reads
nothing (no read-modify-write to race), and the averages are folded from them when read.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from lpgw.selector.orchestrators import RawHash, text

ALPHA = 0.3
"""Weight of the newest outcome in the moving averages."""
RECENT = 20
"""Outcomes kept: the 21st newest would weigh 0.7^20 ≈ 0.08 % in the averages."""


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


def recent_entry(*, ok: bool, latency_ms: float) -> str:
    """One outcome as kept in the recent list: `1:<latency>` or `0:<latency>`."""
    return f"{int(ok)}:{latency_ms:.3f}"


def stats_from(counts: RawHash, recent: Sequence[str | bytes]) -> OutcomeStats:
    """The counts, and the averages folded from the recent outcomes (newest first)."""
    fields = {text(k): text(v) for k, v in counts.items()}
    stats = OutcomeStats()
    for entry in reversed(recent):
        ok, _, latency = text(entry).partition(":")
        stats = apply_outcome(stats, ok=ok == "1", latency_ms=float(latency or 0))
    return OutcomeStats(
        successes=int(fields.get("successes", "0")),
        failures=int(fields.get("failures", "0")),
        success_rate=stats.success_rate,
        latency_ms=stats.latency_ms,
    )
