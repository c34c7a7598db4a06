"""The orchestrator record: capability checks, probe bookkeeping, and its Redis hash form."""

from fractions import Fraction

import pytest
from lpgw.selector.orchestrators import (
    ModelInfo,
    OrchestratorRecord,
    from_hash,
    probe_failed,
    reachable,
    supports,
    to_hash,
)
from lpgw.selector.probe_records import EMPTY_TRANSCODER, record_from_info
from lpgw.wire.net import lp_rpc_pb2 as pb

T2I = 27
MODEL = "stabilityai/sdxl-turbo"


def _record(**kw: object) -> OrchestratorRecord:
    base: dict[str, object] = {
        "url": "https://o1:8935",
        "transcoder": "https://o1:8935",
        "bitstring": (1 << T2I,),
        "models": {T2I: {MODEL: ModelInfo(warm=True, capacity=1)}},
        "prices": {(T2I, MODEL): Fraction(3, 2)},
        "latency_ms": 12.5,
        "last_ok": 100.0,
    }
    base.update(kw)
    return OrchestratorRecord(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("record", "capability", "model", "expected"),
    [
        pytest.param(_record(), T2I, MODEL, True, id="bit set and model listed"),
        pytest.param(_record(), T2I, "other/model", False, id="model not listed"),
        pytest.param(_record(), T2I, "", False, id="empty model is supported by nobody"),
        pytest.param(_record(bitstring=(0,)), T2I, MODEL, False, id="capability bit missing"),
        pytest.param(_record(bitstring=()), T2I, MODEL, False, id="no bitstring at all"),
        pytest.param(_record(), 28, MODEL, False, id="other capability"),
        pytest.param(
            _record(models={}), T2I, MODEL, True, id="model listed only in capabilities_prices"
        ),
        pytest.param(_record(prices={}), T2I, MODEL, True, id="model listed only as constraint"),
        pytest.param(
            _record(bitstring=(0, 1 << 6), models={70: {MODEL: ModelInfo()}}),
            70,
            MODEL,
            True,
            id="capability in the second word",
        ),
    ],
)
def test_supports(record: OrchestratorRecord, capability: int, model: str, expected: bool) -> None:
    assert supports(record, capability, model) is expected


@pytest.mark.parametrize(
    ("record", "stale_after_s", "expected"),
    [
        pytest.param(_record(), None, True, id="last probe succeeded"),
        pytest.param(_record(last_ok=None), None, False, id="never answered"),
        pytest.param(_record(last_failure=150.0), None, False, id="last probe failed"),
        pytest.param(_record(last_failure=50.0), None, True, id="failed before, answered since"),
        pytest.param(_record(), 60.0, False, id="answer is stale"),
        pytest.param(_record(), 120.0, True, id="answer is fresh enough"),
    ],
)
def test_reachable(record: OrchestratorRecord, stale_after_s: float | None, expected: bool) -> None:
    assert reachable(record, now=200.0, stale_after_s=stale_after_s) is expected


def test_price_is_zero_when_not_listed() -> None:
    assert _record(prices={}).price(T2I, MODEL) == 0
    assert _record().price(T2I, MODEL) == Fraction(3, 2)


def test_hash_round_trip_keeps_everything() -> None:
    record = _record(
        address="0x" + "ab" * 20,
        last_failure=90.0,
        last_error="unreachable",
        prices={(T2I, MODEL): Fraction(7, 3), (28, "x"): Fraction(0)},
    )
    assert from_hash(to_hash(record)) == record


def test_hash_round_trip_from_bytes_and_empty_optionals() -> None:
    record = OrchestratorRecord(url="http://o2:1")
    raw = {k.encode(): v.encode() for k, v in to_hash(record).items()}
    assert from_hash(raw) == record


def test_failed_probe_keeps_what_was_learned() -> None:
    failed = probe_failed(_record(), "https://o1:8935", "x" * 1000, now=300.0)
    assert failed.transcoder == "https://o1:8935"
    assert failed.last_failure == 300.0
    assert len(failed.last_error) == 300
    assert not reachable(failed, now=300.0, stale_after_s=None)


def _info(transcoder: str = "https://o1:8935") -> pb.OrchestratorInfo:
    info = pb.OrchestratorInfo(transcoder=transcoder, address=bytes.fromhex("cd" * 20))
    info.capabilities.bitstring.append(1 << T2I)
    info.capabilities.constraints.PerCapability[T2I].models[MODEL].warm = True
    info.capabilities.constraints.PerCapability[T2I].models[MODEL].capacity = 2
    info.capabilities_prices.add(pricePerUnit=6, pixelsPerUnit=4, capability=T2I, constraint=MODEL)
    info.capabilities_prices.add(pricePerUnit=1, pixelsPerUnit=0, capability=28, constraint="bad")
    return info


def test_record_from_info_reads_capabilities_and_exact_prices() -> None:
    record = record_from_info(None, "https://o1:8935", _info(), latency_ms=8.0, now=10.0)
    assert record.address == "0x" + "cd" * 20
    assert record.models == {T2I: {MODEL: ModelInfo(warm=True, capacity=2)}}
    assert record.prices == {(T2I, MODEL): Fraction(3, 2)}
    assert supports(record, T2I, MODEL)
    assert reachable(record, now=10.0, stale_after_s=None)


def test_answer_without_service_uri_is_a_failed_probe() -> None:
    record = record_from_info(_record(), "https://o1:8935", _info(""), latency_ms=8.0, now=500.0)
    assert record.last_error == EMPTY_TRANSCODER
    assert not reachable(record, now=500.0, stale_after_s=None)
