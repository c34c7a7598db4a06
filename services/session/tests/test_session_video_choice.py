"""The transcoder choice rules of a stream (pure): reuse, standby, suspension, price."""

from fractions import Fraction

from lpgw.session.video import choice as rules
from lpgw.session.video.choice import StreamChoice

A, B, C = "https://a:1", "https://b:1", "https://c:1"


def test_latency_score_uses_at_least_one_and_a_half_seconds() -> None:
    assert rules.latency_score(0.75, 2.0) == 0.375
    assert rules.latency_score(0.75, 0.5) == 0.5  # a short segment is scored over 1.5 s
    assert rules.latency_score(3.0, 2.0) == 1.5


def test_a_new_stream_follows_the_selectors_ranking() -> None:
    assert rules.order(StreamChoice(), [B, A, C], now=0) == [B, A, C]


def test_the_orchestrator_that_keeps_up_is_kept_even_when_ranked_lower() -> None:
    choice = StreamChoice()
    rules.succeeded(choice, C, score=0.4, price=Fraction(1))
    assert rules.order(choice, [A, B, C], now=0) == [C, A, B]


def test_a_slow_orchestrator_gives_way_to_the_standby_but_stays_next() -> None:
    choice = StreamChoice()
    rules.succeeded(choice, C, score=1.3, price=Fraction(1))
    assert rules.order(choice, [A, B, C], now=0) == [A, C, B]


def test_a_failure_suspends_until_a_time_that_doubles_per_failure_in_a_row() -> None:
    choice = StreamChoice()
    rules.succeeded(choice, A, score=0.3, price=Fraction(1))
    first = rules.failed(choice, A, now=100)
    assert first == 100 + rules.SUSPEND_BASE_S
    assert choice.current is None
    assert rules.order(choice, [A, B], now=101) == [B, A]  # suspended: only as a last resort
    second = rules.failed(choice, A, now=200)
    assert second == 200 + 2 * rules.SUSPEND_BASE_S
    assert rules.order(choice, [A, B], now=second + 1) == [A, B]  # back after its time
    rules.succeeded(choice, A, score=0.3, price=Fraction(1))
    assert choice.transcoders[A].strikes == 0


def test_suspension_is_capped() -> None:
    choice = StreamChoice()
    until = 0.0
    for _ in range(20):
        until = rules.failed(choice, A, now=0)
    assert until == rules.SUSPEND_MAX_S


def test_suspended_orchestrators_are_ordered_by_when_they_come_back() -> None:
    choice = StreamChoice()
    rules.failed(choice, A, now=0)
    rules.failed(choice, A, now=0)  # A back at 10
    rules.failed(choice, B, now=0)  # B back at 5
    assert rules.order(choice, [A, B, C], now=1) == [C, B, A]


def test_swaps_are_counted() -> None:
    choice = StreamChoice()
    assert not rules.succeeded(choice, A, 0.2, Fraction(1))
    assert rules.succeeded(choice, B, 0.2, Fraction(1))
    assert choice.swaps == 1


def test_price_above_the_ceiling_or_twice_the_first_is_refused() -> None:
    choice = StreamChoice()
    assert rules.price_problem(choice, A, Fraction(5), ceiling=Fraction(4)) is not None
    assert rules.price_problem(choice, A, Fraction(5), ceiling=None) is None
    rules.succeeded(choice, A, 0.2, Fraction(3, 2))
    assert rules.price_problem(choice, A, Fraction(3), ceiling=None) is None  # exactly 2x
    problem = rules.price_problem(choice, A, Fraction(31, 10), ceiling=None)
    assert problem is not None and "twice" in problem
    assert rules.price_problem(choice, B, Fraction(31, 10), ceiling=None) is None


def test_the_choice_survives_a_takeover_through_json() -> None:
    choice = StreamChoice()
    rules.succeeded(choice, A, 0.2, Fraction(7, 3))
    rules.failed(choice, B, now=50)
    again = StreamChoice.from_json(choice.to_json())
    assert again == choice
    assert rules.order(again, [B, A], now=51) == [A, B]
