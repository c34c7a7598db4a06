"""The remote-signer state blob (payments.md §11.4): JSON with Go field names, signed by us.

The gateway keeps it between calls and sends it back unmodified; it can read it but not
change it, because every call first checks our PersonalSign over the exact bytes received.
Encoding and parsing are pure; signing is SigningService's.
"""

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from lpgw.pm.rationals import rat_string
from lpgw.signer.errors import InvalidRequest

MAX_UINT32 = 2**32 - 1
MAX_INT64 = 2**63 - 1


@dataclass(frozen=True)
class LiveState:
    state_id: str
    pm_session_id: str
    last_update: datetime
    orchestrator_address: str
    app: str
    auth_expiry: int
    sender_nonce: int
    balance: Fraction
    initial_price_per_unit: int
    initial_pixels_per_unit: int
    type: str
    sequence_number: int
    auth_id: str

    @property
    def initial_price(self) -> Fraction:
        return Fraction(self.initial_price_per_unit, self.initial_pixels_per_unit)

    def next(self, **changes: Any) -> "LiveState":
        return replace(self, **changes)


def _time_text(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, as Go's time.Time marshals (to the nanosecond)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def encode_state(state: LiveState) -> bytes:
    """Compact JSON in Go's field order; always starts with `{"StateID":`."""
    document = {
        "StateID": state.state_id,
        "PMSessionID": state.pm_session_id,
        "LastUpdate": _time_text(state.last_update),
        "OrchestratorAddress": state.orchestrator_address,
        "App": state.app,
        "AuthExpiry": state.auth_expiry,
        "SenderNonce": state.sender_nonce,
        "Balance": rat_string(state.balance),
        "InitialPricePerUnit": state.initial_price_per_unit,
        "InitialPixelsPerUnit": state.initial_pixels_per_unit,
        "Type": state.type,
        "SequenceNumber": state.sequence_number,
        "AuthID": state.auth_id,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _field(document: dict[str, Any], name: str, kind: type) -> Any:
    value = document.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidRequest("invalid state")
    return value


def _bounded(value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidRequest("invalid state")
    return value


def decode_state(raw: bytes) -> LiveState:
    """Parse a state blob whose signature was already checked (400 `invalid state`)."""
    try:
        document = json.loads(raw)
        if not isinstance(document, dict):
            raise ValueError("not an object")
        last_update = datetime.fromisoformat(_field(document, "LastUpdate", str))
        balance = Fraction(_field(document, "Balance", str))
    except (ValueError, ZeroDivisionError):
        raise InvalidRequest("invalid state") from None
    if last_update.tzinfo is None:
        raise InvalidRequest("invalid state")
    return LiveState(
        state_id=_field(document, "StateID", str),
        pm_session_id=_field(document, "PMSessionID", str),
        last_update=last_update,
        orchestrator_address=_field(document, "OrchestratorAddress", str),
        app=_field(document, "App", str),
        auth_expiry=_bounded(_field(document, "AuthExpiry", int), 0, MAX_INT64),
        sender_nonce=_bounded(_field(document, "SenderNonce", int), 0, MAX_UINT32),
        balance=balance,
        initial_price_per_unit=_bounded(_field(document, "InitialPricePerUnit", int), 0, MAX_INT64),
        initial_pixels_per_unit=_bounded(
            _field(document, "InitialPixelsPerUnit", int), 1, MAX_INT64
        ),
        type=_field(document, "Type", str),
        sequence_number=_bounded(_field(document, "SequenceNumber", int), 0, 2**64 - 1),
        auth_id=_field(document, "AuthID", str),
    )
