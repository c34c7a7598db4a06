"""Which orchestrator transcodes a stream's next segment: pure rules over plain data.

The reference's rules (gateway-behaviour.md §4, §5), with its weak spots fixed:
- Keep the orchestrator that did the last segment while it keeps up: its latency score
  (round trip / max(1.5 s, segment duration)) is at most 1.0, i.e. faster than real time.
- Otherwise, or when it fails, take the selector's next candidate: the standby.
- A failure suspends the orchestrator for this stream until a time (W1: the reference adds to
  an absolute counter, so suspensions lapse silently in long streams): 5 s after the first
  failure in a row, doubling per further failure up to 5 min. A suspended orchestrator is
  tried only when no other is left.
- The price is checked on every answer: more than the ceiling, or more than twice the price
  the stream started with on that orchestrator (fact 24), and it is dropped.

`StreamChoice` round-trips through JSON, so a worker that takes a stream over carries on with
the same orchestrator, scores and suspensions.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

MIN_SCORE_DURATION_S = 1.5
KEEP_SCORE = 1.0
SUSPEND_BASE_S = 5.0
SUSPEND_MAX_S = 300.0
PRICE_RISE_LIMIT = 2


def latency_score(round_trip_s: float, duration_s: float) -> float:
    return round_trip_s / max(MIN_SCORE_DURATION_S, duration_s)


@dataclass
class Transcoder:
    url: str
    first_price: str = ""
    """Wei per pixel ("num/den") when the stream first used it; empty before."""
    score: float = 0.0
    """Latency score of its last segment; 0 before it completed one."""
    strikes: int = 0
    """Failures in a row."""
    suspended_until: float = 0.0
    segments: int = 0


@dataclass
class StreamChoice:
    current: str | None = None
    transcoders: dict[str, Transcoder] = field(default_factory=dict)
    swaps: int = 0

    def get(self, url: str) -> Transcoder:
        return self.transcoders.setdefault(url, Transcoder(url))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StreamChoice":
        transcoders = {url: Transcoder(**t) for url, t in data.get("transcoders", {}).items()}
        return cls(data.get("current"), transcoders, int(data.get("swaps", 0)))


def suspended(choice: StreamChoice, url: str, now: float) -> bool:
    known = choice.transcoders.get(url)
    return known is not None and known.suspended_until > now


def keeps_up(transcoder: Transcoder) -> bool:
    return 0 < transcoder.score <= KEEP_SCORE


def order(choice: StreamChoice, ranked: Sequence[str], now: float) -> list[str]:
    """Orchestrators to try for the next segment, first choice first.

    The current one leads while it keeps up (or has not finished a segment yet); then the
    selector's ranking; a current one that is slower than real time goes after the ranking's
    first; suspended ones come last, soonest back first."""
    current = choice.transcoders.get(choice.current or "")
    usable = [url for url in ranked if not suspended(choice, url, now)]
    if current is not None and not suspended(choice, current.url, now):
        others = [url for url in usable if url != current.url]
        if keeps_up(current) or current.score == 0:
            usable = [current.url, *others]
        else:
            usable = [*others[:1], current.url, *others[1:]]
    resting = sorted(
        (url for url in ranked if suspended(choice, url, now)),
        key=lambda url: choice.transcoders[url].suspended_until,
    )
    return [*usable, *resting]


def succeeded(choice: StreamChoice, url: str, score: float, price: Fraction) -> bool:
    """Record a transcoded segment; True when the stream moved to another orchestrator."""
    transcoder = choice.get(url)
    transcoder.score = score
    transcoder.strikes = 0
    transcoder.suspended_until = 0.0
    transcoder.segments += 1
    if not transcoder.first_price:
        transcoder.first_price = f"{price.numerator}/{price.denominator}"
    swapped = choice.current is not None and choice.current != url
    choice.swaps += int(swapped)
    choice.current = url
    return swapped


def failed(choice: StreamChoice, url: str, now: float) -> float:
    """Suspend after a failure; returns the time it is suspended until."""
    transcoder = choice.get(url)
    transcoder.strikes += 1
    pause = min(SUSPEND_BASE_S * 2 ** (transcoder.strikes - 1), SUSPEND_MAX_S)
    transcoder.suspended_until = now + pause
    if choice.current == url:
        choice.current = None
    return transcoder.suspended_until


def price_problem(
    choice: StreamChoice, url: str, price: Fraction, ceiling: Fraction | None
) -> str | None:
    """Why `price` (wei per pixel) is refused for this stream on `url`, or None."""
    if ceiling is not None and ceiling > 0 and price > ceiling:
        return f"price {price} wei/pixel is above the ceiling {ceiling}"
    known = choice.transcoders.get(url)
    if known is not None and known.first_price:
        first = Fraction(known.first_price)
        if price > PRICE_RISE_LIMIT * first:
            return f"price {price} wei/pixel is more than twice the stream's first {first}"
    return None
