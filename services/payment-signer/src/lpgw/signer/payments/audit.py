"""The audit trail: one SignatureAudit per call that signs tickets, per payment session opened
and per remote-signer identity handed out, stored in the AUDIT stream first.

Those signatures leave the process only after their audit event is acknowledged by JetStream;
when the event cannot be stored the call fails with 503 and the signatures are dropped, so the
trail is complete by construction (every ticket, hence every wei of the deposit a winning
ticket can take, is explained). A payment that signs no ticket moves only our own view of the
credit and is not a separate event: the trail costs a round trip per batch of tickets, not per
request.

Each call publishes under a fresh message id. JetStream acknowledges a message whose id it saw
within its duplicate window as `duplicate` without storing it, so such an ack is a failure
too: that includes our own retry after a lost ack (the event is then stored once, and the
call still fails: an audit event without a signature is harmless, the reverse is not).
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from lpgw.bus import Bus, BusError
from lpgw.bus.events import SignatureAudit
from lpgw.pm import TicketParams
from lpgw.pm.rationals import rat_string
from lpgw.signer.errors import Unavailable

#: How long one JetStream acknowledgement may take before the call is failed.
AUDIT_ACK_TIMEOUT_S = 2.0
AUDIT_ATTEMPTS = 2


class AuditSink(Protocol):
    @property
    def available(self) -> bool:
        """False when an event certainly cannot be stored now (fail before signing)."""
        ...

    async def record(self, event: SignatureAudit, msg_id: str) -> None:
        """Store the event under `msg_id` (unique per call); raise Unavailable when it is not
        stored, a duplicate-id acknowledgement included."""
        ...


class BusAudit:
    """Publishes to names.audit_signatures (stream AUDIT) through the service's Bus."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    @property
    def available(self) -> bool:
        return self._bus.is_connected

    async def record(self, event: SignatureAudit, msg_id: str) -> None:
        if not self._bus.is_connected:
            raise Unavailable("audit stream unavailable")
        try:
            ack = await self._bus.publish(
                self._bus.names.audit_signatures,
                event,
                msg_id=msg_id,
                ack_timeout=AUDIT_ACK_TIMEOUT_S,
                attempts=AUDIT_ATTEMPTS,
            )
        except BusError as exc:
            raise Unavailable("audit stream unavailable") from exc
        if ack.duplicate:
            raise Unavailable("audit stream unavailable")


@dataclass(frozen=True)
class AuditContext:
    """Who asked and for what; the rest of the event comes from what was signed."""

    client: str
    route: str
    orchestrator: str = ""
    bucket: str = ""
    job: str = ""
    payment_session: str = ""


def audit_event(
    context: AuditContext,
    params: TicketParams | None,
    nonces: Sequence[int],
    clock: Callable[[], float] = time.time,
) -> SignatureAudit:
    """The event for one call; `params` None (or no nonces) means no tickets were signed."""
    ticketed = params is not None and len(nonces) > 0
    ev = params.ev * len(nonces) if params is not None and ticketed else Fraction(0)
    return SignatureAudit(
        client=context.client,
        route=context.route,
        recipient="0x" + params.recipient.hex() if params is not None and ticketed else "",
        orchestrator=context.orchestrator,
        bucket=context.bucket,
        job=context.job,
        payment_session=context.payment_session,
        tickets=len(nonces),
        face_value=str(params.face_value) if params is not None and ticketed else "0",
        win_prob=str(params.win_prob) if params is not None and ticketed else "0",
        ev=rat_string(ev),
        nonces=list(nonces),
        signed_at=clock(),
    )
