"""Sender credit per (orchestrator, bucket) and the number of tickets to send (§7, §9).

Reference semantics: before a request the existing credit is reserved (set to 0), the request
adds enough tickets to reach max(fee, EV), and on completion the credit is put back, spent,
or settled against the real fee. Pure functions first; `Balances` is the in-process ledger
built on them (a shared store applies the same functions).
"""

import math
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

from lpgw.pm.errors import NoTickets, TooManyTickets
from lpgw.pm.fees import BYOC_MAX_TICKETS, BYOC_PREPAID_SECONDS
from lpgw.pm.price import Price

#: The reference remote signer refuses to make more tickets than this in one call.
MAX_SIGNER_TICKETS = 100


class UpdateStatus(Enum):
    """How a request ended, which decides what happens to its reserved credit."""

    STAGED = "staged"  # nothing was sent: the credit goes back
    CREDIT_SPENT = "credit_spent"  # sent, no usable result: credit and tickets are gone
    RECEIVED_CHANGE = "received_change"  # result received: settle against the real fee


def min_credit(fee: Fraction, ev: Fraction) -> Fraction:
    """The orchestrator wants at least one ticket's EV in the balance."""
    return max(fee, ev)


def tickets_needed(target: Fraction, existing: Fraction, ev: Fraction) -> int:
    """ceil((target − existing) / EV), 0 when covered or when params are free (EV 0)."""
    if ev <= 0 or existing >= target:
        return 0
    return math.ceil((target - existing) / ev)


@dataclass(frozen=True)
class BalanceUpdate:
    """One request's stake: the credit it reserved and the tickets it adds."""

    existing: Fraction
    num_tickets: int
    new_credit: Fraction
    fee: Fraction


def stage_update(existing: Fraction, fee: Fraction, ev: Fraction) -> BalanceUpdate:
    """Tickets and new credit for a request estimated at `fee` under params worth `ev`."""
    num = tickets_needed(min_credit(fee, ev), existing, ev)
    return BalanceUpdate(
        existing=Fraction(existing), num_tickets=num, new_credit=ev * num, fee=Fraction(fee)
    )


def settle(update: BalanceUpdate, status: UpdateStatus, debit: Fraction | None = None) -> Fraction:
    """Credit to add back to the balance when the request ends.

    `debit` is the real fee (transcoding: returned pixels × price); AI and live use the
    estimate. The result may be negative, which makes the next request send more tickets.
    """
    if status is UpdateStatus.STAGED:
        return update.existing
    if status is UpdateStatus.CREDIT_SPENT:
        return Fraction(0)
    spent = update.fee if debit is None else debit
    return update.existing + update.new_credit - spent


def require_tickets(num_tickets: int, maximum: int = MAX_SIGNER_TICKETS) -> int:
    """The remote signer's bounds: 0 tickets is 'no tickets' (skip), too many is refused."""
    if num_tickets == 0:
        raise NoTickets()
    if num_tickets > maximum:
        raise TooManyTickets(num_tickets, maximum)
    return num_tickets


def byoc_tickets(balance: Fraction, price: Price, timeout_s: int, ev: Fraction) -> int:
    """BYOC batch: nothing while 120 s are prepaid, else cover the job timeout (max 600)."""
    if ev <= 0 or balance >= price.fee(BYOC_PREPAID_SECONDS):
        return 0
    return min(math.ceil(price.fee(timeout_s) / ev), BYOC_MAX_TICKETS)


def ai_bucket(capability: int, model_id: str) -> str:
    """The orchestrator's balance bucket for batch AI: shared by all of a sender's sessions."""
    return f"{capability}_{model_id}"


@dataclass
class Balances:
    """In-process credit ledger keyed by (orchestrator address, bucket)."""

    credits: dict[tuple[bytes, str], Fraction] = field(default_factory=dict)

    def balance(self, orchestrator: bytes, bucket: str) -> Fraction:
        return self.credits.get((orchestrator, bucket), Fraction(0))

    def credit(self, orchestrator: bytes, bucket: str, amount: Fraction) -> None:
        key = (orchestrator, bucket)
        self.credits[key] = self.credits.get(key, Fraction(0)) + amount

    def reset(self, orchestrator: bytes, bucket: str, amount: Fraction) -> None:
        """Adopt the balance the orchestrator reports (BYOC token responses)."""
        self.credits[(orchestrator, bucket)] = Fraction(amount)

    def stage(self, orchestrator: bytes, bucket: str, fee: Fraction, ev: Fraction) -> BalanceUpdate:
        """Reserve the existing credit (set it to 0) and work out the tickets to send."""
        existing = self.credits.pop((orchestrator, bucket), Fraction(0))
        return stage_update(existing, fee, ev)

    def complete(
        self,
        orchestrator: bytes,
        bucket: str,
        update: BalanceUpdate,
        status: UpdateStatus,
        debit: Fraction | None = None,
    ) -> None:
        self.credit(orchestrator, bucket, settle(update, status, debit))
