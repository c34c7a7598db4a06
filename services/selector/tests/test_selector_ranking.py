"""Ranking: who is eligible for a job and in which order, as named rules."""

import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction

import pytest
from lpgw.bus.events import SelectionRequest
from lpgw.selector.orchestrators import ModelInfo, OrchestratorRecord
from lpgw.selector.outcome_stats import OutcomeStats
from lpgw.selector.ranking import Option, WeightedCost, rank

T2I = 27
MODEL = "stabilityai/sdxl-turbo"
NOW = 1000.0


def orch(
    name: str,
    *,
    price: Fraction = Fraction(0),
    latency: float = 10.0,
    model: str = MODEL,
    last_failure: float | None = None,
    warm: bool = True,
) -> OrchestratorRecord:
    return OrchestratorRecord(
        url=f"https://{name}:8935",
        transcoder=f"https://{name}:8935",
        address="0x" + name.encode().hex().ljust(40, "0"),
        bitstring=(1 << T2I,),
        models={T2I: {model: ModelInfo(warm=warm, capacity=1)}},
        prices={(T2I, model): price},
        latency_ms=latency,
        last_ok=NOW - 5,
        last_failure=last_failure,
    )


def ask(exclude: list[str] | None = None, limit: int = 5) -> SelectionRequest:
    return SelectionRequest(
        capability=T2I,
        pipeline="text-to-image",
        model_id=MODEL,
        exclude=exclude or [],
        limit=limit,
    )


def names(
    records: list[OrchestratorRecord],
    stats: dict[str, OutcomeStats] | None = None,
    request: SelectionRequest | None = None,
) -> list[str]:
    ranked = rank(records, stats or {}, request or ask(), now=NOW, stale_after_s=60)
    return [r.url.removeprefix("https://").removesuffix(":8935") for r in ranked]


def bad(n: int) -> OutcomeStats:
    return OutcomeStats(successes=0, failures=n, success_rate=0.7**n)


@pytest.mark.parametrize(
    ("records", "stats", "request_", "expected"),
    [
        pytest.param([], {}, ask(), [], id="no orchestrators known"),
        pytest.param([orch("a", model="other")], {}, ask(), [], id="nobody supports the model"),
        pytest.param(
            [orch("a", last_failure=NOW - 1), orch("b")],
            {},
            ask(),
            ["b"],
            id="orchestrator whose last probe failed is dropped",
        ),
        pytest.param(
            [orch("a"), orch("b")],
            {},
            ask(exclude=["https://a:8935"]),
            ["b"],
            id="excluded urls are dropped",
        ),
        pytest.param(
            [orch("a", price=Fraction(3)), orch("b", price=Fraction(1))],
            {},
            ask(),
            ["b", "a"],
            id="cheaper first",
        ),
        pytest.param(
            [orch("a", latency=90.0), orch("b", latency=30.0)],
            {},
            ask(),
            ["b", "a"],
            id="faster probe first at equal price",
        ),
        pytest.param(
            [orch("a"), orch("b")],
            {"https://a:8935": bad(3)},
            ask(),
            ["b", "a"],
            id="recent failures push an orchestrator down",
        ),
        pytest.param(
            [orch("a", price=Fraction(2)), orch("b", price=Fraction(1))],
            {"https://b:8935": bad(4)},
            ask(),
            ["a", "b"],
            id="a failing cheap orchestrator loses to a reliable dearer one",
        ),
        pytest.param(
            [orch("c"), orch("a"), orch("b")],
            {},
            ask(),
            ["a", "b", "c"],
            id="ties are broken by url",
        ),
        pytest.param(
            [orch("a"), orch("b"), orch("c")],
            {},
            ask(limit=2),
            ["a", "b"],
            id="at most limit candidates",
        ),
        pytest.param(
            [orch("a", price=Fraction(1, 3)), orch("b", price=Fraction(1, 2))],
            {},
            ask(),
            ["a", "b"],
            id="prices compare as exact rationals",
        ),
    ],
)
def test_rank(
    records: list[OrchestratorRecord],
    stats: dict[str, OutcomeStats],
    request_: SelectionRequest,
    expected: list[str],
) -> None:
    assert names(records, stats, request_) == expected


def test_every_warm_orchestrator_comes_before_any_cold_one() -> None:
    records = [
        orch("cheap-cold", price=Fraction(1), warm=False),
        orch("dear-warm", price=Fraction(9), latency=50),
        orch("mid-warm", price=Fraction(5)),
        orch("dearer-cold", price=Fraction(7), warm=False),
    ]
    assert names(records) == ["mid-warm", "dear-warm", "cheap-cold", "dearer-cold"]


def test_a_model_offered_only_by_price_counts_as_cold() -> None:
    priced_only = orch("priced", price=Fraction(1))
    priced_only = OrchestratorRecord(**{**priced_only.__dict__, "models": {T2I: {}}})
    assert names([priced_only, orch("warm", price=Fraction(3))]) == ["warm", "priced"]


def test_stale_answers_are_dropped() -> None:
    record = orch("a")
    assert rank([record], {}, ask(), now=NOW + 3600, stale_after_s=60) == []


def test_candidate_carries_price_as_numerator_and_denominator() -> None:
    [top] = rank([orch("a", price=Fraction(6, 4))], {}, ask(), now=NOW)
    assert (top.price_per_unit, top.pixels_per_unit) == (3, 2)
    assert top.address.startswith("0x")
    assert 0.0 < top.score <= 1.0


def test_scores_decrease_down_the_list() -> None:
    ranked = rank(
        [orch("a", price=Fraction(5)), orch("b", price=Fraction(1)), orch("c", latency=99)],
        {},
        ask(),
        now=NOW,
    )
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)


def test_a_strategy_can_replace_the_default() -> None:
    class Reverse:
        def order(self, options: Sequence[Option]) -> list[tuple[Option, float]]:
            return [(o, 0.5) for o in sorted(options, key=lambda o: o.url, reverse=True)]

    ranked = rank([orch("a"), orch("b")], {}, ask(), now=NOW, strategy=Reverse())
    assert [r.url for r in ranked] == ["https://b:8935", "https://a:8935"]


def test_zero_weights_do_not_divide_by_zero() -> None:
    strategy = WeightedCost(price_weight=0, latency_weight=0, failure_weight=0)
    assert len(rank([orch("a"), orch("b")], {}, ask(), now=NOW, strategy=strategy)) == 2


def test_the_core_imports_no_io_library() -> None:
    code = (
        "import sys, lpgw.selector.ranking, lpgw.selector.outcome_stats;"
        "bad = {'nats', 'redis', 'grpc', 'httpx'} & {m.split('.')[0] for m in sys.modules};"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
