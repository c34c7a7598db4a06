"""Turn a GetOrchestrator answer (general info, no capabilities asked) into a record.

No I/O: the probe loop calls these with what it received and stores the result.
"""

from fractions import Fraction

from lpgw.selector.orchestrators import ModelInfo, OrchestratorRecord, PriceKey, probe_failed
from lpgw.wire.net import lp_rpc_pb2 as pb

EMPTY_TRANSCODER = "orchestrator answered without a service URI"


def record_from_info(
    previous: OrchestratorRecord | None,
    url: str,
    info: pb.OrchestratorInfo,
    *,
    latency_ms: float,
    now: float,
) -> OrchestratorRecord:
    """A successful probe. An answer without `transcoder` does not "work" (wire.md §5.2) and
    counts as a failed probe."""
    if not info.transcoder:
        return probe_failed(previous, url, EMPTY_TRANSCODER, now=now)
    caps = info.capabilities
    models: dict[int, dict[str, ModelInfo]] = {
        int(cap): {
            model: ModelInfo(warm=constraint.warm, capacity=constraint.capacity)
            for model, constraint in per_cap.models.items()
        }
        for cap, per_cap in caps.constraints.PerCapability.items()
    }
    return OrchestratorRecord(
        url=url,
        transcoder=info.transcoder,
        address="0x" + info.address.hex() if info.address else "",
        bitstring=tuple(caps.bitstring),
        models=models,
        prices=_prices(info),
        transcode_price=_transcode_price(info),
        latency_ms=latency_ms,
        last_ok=now,
        last_failure=previous.last_failure if previous is not None else None,
        last_error=previous.last_error if previous is not None else "",
    )


def _prices(info: pb.OrchestratorInfo) -> dict[PriceKey, Fraction]:
    """Entries with a zero denominator are invalid and skipped."""
    return {
        (int(p.capability), p.constraint): Fraction(p.pricePerUnit, p.pixelsPerUnit)
        for p in info.capabilities_prices
        if p.pixelsPerUnit > 0 and p.pricePerUnit >= 0
    }


def _transcode_price(info: pb.OrchestratorInfo) -> Fraction | None:
    """The general answer's `price_info` is the transcoding price (wire.md §5.1 step 4)."""
    if not info.HasField("price_info"):
        return None
    price = info.price_info
    if price.pixelsPerUnit <= 0 or price.pricePerUnit < 0:
        return None
    return Fraction(price.pricePerUnit, price.pixelsPerUnit)
