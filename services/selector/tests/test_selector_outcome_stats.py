"""Outcome statistics: counts and moving averages after each attempt."""

import pytest
from lpgw.selector.outcome_stats import (
    OutcomeStats,
    apply_outcome,
    averages_hash,
    stats_from_hash,
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


def test_hash_form_round_trip() -> None:
    stats = OutcomeStats(3, 2, 0.42, 55.5)
    raw = {b"successes": b"3", b"failures": b"2"} | {
        k.encode(): v.encode() for k, v in averages_hash(stats).items()
    }
    assert stats_from_hash(raw) == stats
    assert stats_from_hash({}) == OutcomeStats()
