"""Outcome statistics: counts and moving averages after each attempt."""

import pytest
from lpgw.selector.outcome_stats import (
    RECENT,
    OutcomeStats,
    apply_outcome,
    recent_entry,
    stats_from,
)


@pytest.mark.parametrize(
    ("before", "ok", "latency", "expected"),
    [
        pytest.param(
            OutcomeStats(), True, 100.0, OutcomeStats(1, 0, 1.0, 100.0), id="first success"
        ),
        pytest.param(OutcomeStats(), False, 5.0, OutcomeStats(0, 1, 0.7, None), id="first failure"),
        pytest.param(
            OutcomeStats(1, 0, 1.0, 100.0),
            True,
            200.0,
            OutcomeStats(2, 0, 1.0, 130.0),
            id="latency averages successful attempts",
        ),
        pytest.param(
            OutcomeStats(1, 0, 1.0, 100.0),
            False,
            9000.0,
            OutcomeStats(1, 1, 0.7, 100.0),
            id="failure latency is ignored",
        ),
    ],
)
def test_apply_outcome(
    before: OutcomeStats, ok: bool, latency: float, expected: OutcomeStats
) -> None:
    after = apply_outcome(before, ok=ok, latency_ms=latency)
    assert after.successes == expected.successes
    assert after.failures == expected.failures
    assert after.success_rate == pytest.approx(expected.success_rate)
    assert after.latency_ms == pytest.approx(expected.latency_ms)


def test_repeated_failures_sink_and_successes_recover() -> None:
    stats = OutcomeStats()
    for _ in range(3):
        stats = apply_outcome(stats, ok=False, latency_ms=0.0)
    assert stats.success_rate < 0.35
    for _ in range(7):
        stats = apply_outcome(stats, ok=True, latency_ms=10.0)
    assert stats.success_rate > 0.9


def test_stored_outcomes_fold_into_the_same_averages() -> None:
    outcomes = [(True, 100.0), (False, 5.0), (True, 300.0), (True, 200.0)]
    folded = OutcomeStats()
    for ok, latency in outcomes:
        folded = apply_outcome(folded, ok=ok, latency_ms=latency)
    newest_first = [recent_entry(ok=ok, latency_ms=ms).encode() for ok, ms in reversed(outcomes)]

    stats = stats_from({b"successes": b"3", b"failures": b"1"}, newest_first)

    assert (stats.successes, stats.failures) == (3, 1)
    assert stats.success_rate == pytest.approx(folded.success_rate)
    assert stats.latency_ms == pytest.approx(folded.latency_ms)


def test_nothing_stored_is_an_optimistic_newcomer() -> None:
    assert stats_from({}, []) == OutcomeStats()


def test_the_kept_outcomes_are_enough_for_the_averages() -> None:
    """Outcomes older than the kept ones change the average by less than 0.1 %."""
    old_failures = OutcomeStats()
    for _ in range(50):
        old_failures = apply_outcome(old_failures, ok=False, latency_ms=0.0)
    from_old, from_fresh = old_failures, OutcomeStats()
    for _ in range(RECENT):
        from_old = apply_outcome(from_old, ok=True, latency_ms=10.0)
        from_fresh = apply_outcome(from_fresh, ok=True, latency_ms=10.0)
    assert abs(from_old.success_rate - from_fresh.success_rate) < 0.001
