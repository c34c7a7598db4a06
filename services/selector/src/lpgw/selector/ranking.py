"""Who should do a job: filter the known orchestrators, then order them with a Strategy.

Filter (in this order): the orchestrator supports the job's (capability, model), or for
transcoding offers every required capability at a known per-pixel price; its price is at most
the request's ceiling (applied off-chain too, unlike the reference: weak spot W4); its last
probe succeeded (and is not stale); its URL is not excluded (already tried by the session).

Default strategy, `WeightedCost`: each eligible orchestrator gets a cost in [0, 1]

    cost = (w_price · price / max price + w_latency · latency / max latency
            + w_failure · (1 − recent success rate)) / (w_price + w_latency + w_failure)

where the maxima are taken over the eligible set (a term is 0 when its maximum is 0) and the
success rate comes from OUTCOMES (1.0 for an orchestrator with no history). Lower cost first;
ties are broken by price, then probe latency, then URL, so every replica answers alike.
`score` = 1 − cost (higher is better). The reference's stake/price/random draw is another
Strategy to add later.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from lpgw.bus.events import TRANSCODING
from lpgw.selector.orchestrators import OrchestratorRecord, reachable, supports, transcodes
from lpgw.selector.outcome_stats import OutcomeStats


class Wanted(Protocol):
    """What a selection request asks for (lpgw.bus.events.SelectionRequest has this shape)."""

    @property
    def capability(self) -> int: ...
    @property
    def pipeline(self) -> str: ...
    @property
    def model_id(self) -> str: ...
    @property
    def required(self) -> list[int]: ...
    @property
    def max_price(self) -> str: ...
    @property
    def exclude(self) -> list[str]: ...
    @property
    def limit(self) -> int: ...


@dataclass(frozen=True)
class Option:
    """An eligible orchestrator with what the strategy may weigh."""

    url: str
    address: str
    price: Fraction
    latency_ms: float
    stats: OutcomeStats
    warm: bool = True
    """The model is loaded (AI): a cold one starts with a model load of seconds to minutes."""


@dataclass(frozen=True)
class Ranked:
    """One candidate, best first; the service turns it into a bus Candidate."""

    url: str
    address: str
    price_per_unit: int
    pixels_per_unit: int
    latency_ms: float
    score: float


class Strategy(Protocol):
    def order(self, options: Sequence[Option]) -> list[tuple[Option, float]]:
        """Options best first, each with a score in [0, 1] (higher is better)."""
        ...


@dataclass(frozen=True)
class WeightedCost:
    price_weight: float = 0.4
    latency_weight: float = 0.2
    failure_weight: float = 0.4

    def order(self, options: Sequence[Option]) -> list[tuple[Option, float]]:
        if not options:
            return []
        max_price = max(o.price for o in options)
        max_latency = max(o.latency_ms for o in options)
        total = self.price_weight + self.latency_weight + self.failure_weight or 1.0

        def cost(o: Option) -> float:
            price = float(o.price / max_price) if max_price > 0 else 0.0
            latency = o.latency_ms / max_latency if max_latency > 0 else 0.0
            failure = 1.0 - o.stats.success_rate
            weighted = (
                self.price_weight * price
                + self.latency_weight * latency
                + self.failure_weight * failure
            )
            return weighted / total

        costed = sorted(((cost(o), o) for o in options), key=_tie_break)
        return [(o, round(1.0 - c, 6)) for c, o in costed]


def _tie_break(item: tuple[float, Option]) -> tuple[float, Fraction, float, str]:
    c, o = item
    return (c, o.price, o.latency_ms, o.url)


def eligible(
    records: Iterable[OrchestratorRecord],
    stats: Mapping[str, OutcomeStats],
    wanted: Wanted,
    *,
    now: float,
    stale_after_s: float | None = None,
) -> list[Option]:
    excluded = set(wanted.exclude)
    ceiling = Fraction(wanted.max_price) if wanted.max_price else None
    transcoding = wanted.pipeline == TRANSCODING
    options = []
    for r in records:
        warm = True
        if r.url in excluded or not reachable(r, now=now, stale_after_s=stale_after_s):
            continue
        if transcoding:
            if not transcodes(r, wanted.required) or r.transcode_price is None:
                continue
            price = r.transcode_price
        elif supports(r, wanted.capability, wanted.model_id):
            price = r.price(wanted.capability, wanted.model_id)
            model = r.models.get(wanted.capability, {}).get(wanted.model_id)
            warm = model is not None and model.warm
        else:
            continue
        if ceiling is not None and ceiling > 0 and price > ceiling:
            continue
        options.append(
            Option(
                url=r.url,
                address=r.address,
                price=price,
                latency_ms=r.latency_ms or 0.0,
                stats=stats.get(r.url, OutcomeStats()),
                warm=warm,
            )
        )
    return options


def rank(
    records: Iterable[OrchestratorRecord],
    stats: Mapping[str, OutcomeStats],
    wanted: Wanted,
    *,
    now: float,
    stale_after_s: float | None = None,
    strategy: Strategy | None = None,
) -> list[Ranked]:
    """At most `wanted.limit` candidates, best first: every warm one before any cold one
    (each group in the strategy's order). `stats` is keyed by orchestrator URL."""
    chosen = strategy if strategy is not None else WeightedCost()
    options = eligible(records, stats, wanted, now=now, stale_after_s=stale_after_s)
    warm = [o for o in options if o.warm]
    cold = [o for o in options if not o.warm]
    return [
        Ranked(
            url=o.url,
            address=o.address,
            price_per_unit=o.price.numerator,
            pixels_per_unit=o.price.denominator,
            latency_ms=o.latency_ms,
            score=score,
        )
        for o, score in (chosen.order(warm) + chosen.order(cold))[: max(wanted.limit, 0)]
    ]
