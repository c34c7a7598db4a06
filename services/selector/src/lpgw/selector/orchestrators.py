"""What the selector knows about one orchestrator, as learned by its last probes.

A record is plain data: the probe loop writes it to a Redis hash and every selector replica
reads it back, so all replicas rank alike. Prices are exact rationals (wei per unit), as the
protocol defines them; they are compared as `Fraction`s, never as floats.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction

RawHash = Mapping[str, str] | Mapping[bytes, bytes] | Mapping[str | bytes, str | bytes]
"""A hash as a Redis client returns it, decoded or not."""

PriceKey = tuple[int, str]
"""(capability id, model id) as listed in `capabilities_prices`."""

_MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class ModelInfo:
    """One model an orchestrator advertises under a capability."""

    warm: bool = False
    capacity: int = 0


@dataclass(frozen=True)
class OrchestratorRecord:
    url: str
    transcoder: str = ""
    address: str = ""
    """Orchestrator ETH address, lowercase 0x hex; empty when it sent none."""
    bitstring: tuple[int, ...] = ()
    models: Mapping[int, Mapping[str, ModelInfo]] = field(default_factory=dict)
    prices: Mapping[PriceKey, Fraction] = field(default_factory=dict)
    transcode_price: Fraction | None = None
    """Wei per pixel for transcoding (`price_info` of the general answer); None when the
    orchestrator sent no usable price."""
    latency_ms: float | None = None
    last_ok: float | None = None
    last_failure: float | None = None
    last_error: str = ""

    def has_capability(self, capability: int) -> bool:
        """Bit `capability mod 64` of word `capability div 64` of the bitstring."""
        word, bit = divmod(capability, 64)
        return (
            capability >= 0
            and word < len(self.bitstring)
            and bool((self.bitstring[word] >> bit) & 1)
        )

    def price(self, capability: int, model_id: str) -> Fraction:
        """Advertised wei per unit; 0 when none is listed (off-chain orchestrators list none).

        The exact price comes later from a GetOrchestrator with capabilities; this one only ranks.
        """
        return self.prices.get((capability, model_id), Fraction(0))


def supports(record: OrchestratorRecord, capability: int, model_id: str) -> bool:
    """The orchestrator has the capability bit and lists the model under it (as a model
    constraint or a price). An empty model id is supported by nobody, as in the reference."""
    if not model_id or not record.has_capability(capability):
        return False
    return model_id in record.models.get(capability, {}) or (capability, model_id) in record.prices


LEGACY_CAPABILITIES = range(12)
"""Capabilities an orchestrator that advertises none is assumed to have (wire.md §6.3)."""


def transcodes(record: OrchestratorRecord, required: Iterable[int]) -> bool:
    """The orchestrator can transcode a job needing `required` capabilities at a known price.
    One that sends no capability bits is accepted for jobs needing only legacy ones (0–11)."""
    if record.transcode_price is None:
        return False
    needed = list(required)
    if not record.bitstring:
        return all(cap in LEGACY_CAPABILITIES for cap in needed)
    return all(record.has_capability(cap) for cap in needed)


def reachable(record: OrchestratorRecord, *, now: float, stale_after_s: float | None) -> bool:
    """The last probe succeeded, and (when a staleness bound is given) not too long ago."""
    if record.last_ok is None:
        return False
    if record.last_failure is not None and record.last_failure > record.last_ok:
        return False
    return stale_after_s is None or now - record.last_ok <= stale_after_s


def probe_failed(
    previous: OrchestratorRecord | None, url: str, error: str, *, now: float
) -> OrchestratorRecord:
    """Keep what earlier probes learned; note when and why this one failed."""
    base = previous if previous is not None else OrchestratorRecord(url=url)
    return replace(base, last_failure=now, last_error=error[:_MAX_ERROR_CHARS])


# --- Redis hash form -------------------------------------------------------------------------


def to_hash(record: OrchestratorRecord) -> dict[str, str]:
    """Flat string fields for HSET. Absent optional values are empty strings."""
    return {
        "url": record.url,
        "transcoder": record.transcoder,
        "address": record.address,
        "bitstring": json.dumps(list(record.bitstring)),
        "models": json.dumps(
            {
                str(cap): {m: [info.warm, info.capacity] for m, info in sorted(models.items())}
                for cap, models in sorted(record.models.items())
            }
        ),
        "prices": json.dumps(
            [
                [cap, model, price.numerator, price.denominator]
                for (cap, model), price in sorted(record.prices.items())
            ]
        ),
        "transcode_price": ""
        if record.transcode_price is None
        else f"{record.transcode_price.numerator}/{record.transcode_price.denominator}",
        "latency_ms": _opt_str(record.latency_ms),
        "last_ok": _opt_str(record.last_ok),
        "last_failure": _opt_str(record.last_failure),
        "last_error": record.last_error,
    }


def from_hash(raw: RawHash) -> OrchestratorRecord:
    """Inverse of `to_hash`; accepts the bytes a Redis client returns without decoding."""
    fields = {text(k): text(v) for k, v in raw.items()}
    models_json: dict[str, dict[str, list[object]]] = json.loads(fields.get("models") or "{}")
    prices_json: list[list[object]] = json.loads(fields.get("prices") or "[]")
    return OrchestratorRecord(
        url=fields["url"],
        transcoder=fields.get("transcoder", ""),
        address=fields.get("address", ""),
        bitstring=tuple(int(w) for w in json.loads(fields.get("bitstring") or "[]")),
        models={
            int(cap): {
                model: ModelInfo(warm=bool(pair[0]), capacity=int(str(pair[1])))
                for model, pair in models.items()
            }
            for cap, models in models_json.items()
        },
        prices={
            (int(str(cap)), str(model)): Fraction(int(str(num)), int(str(den)))
            for cap, model, num, den in prices_json
        },
        transcode_price=Fraction(fields["transcode_price"])
        if fields.get("transcode_price")
        else None,
        latency_ms=_opt_float(fields.get("latency_ms", "")),
        last_ok=_opt_float(fields.get("last_ok", "")),
        last_failure=_opt_float(fields.get("last_failure", "")),
        last_error=fields.get("last_error", ""),
    )


def _opt_str(value: float | None) -> str:
    return "" if value is None else repr(value)


def _opt_float(text: str) -> float | None:
    return float(text) if text else None


def text(value: str | bytes) -> str:
    """A Redis value as text."""
    return value.decode() if isinstance(value, bytes) else value
