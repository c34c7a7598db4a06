"""Credit with an orchestrator per (recipient, bucket), with payments.md §7 semantics. Pure.

Stored as a set of signed fragments whose sum is the credit, so that every change is a single
atomic Redis command and no read-modify-write ever races: staging a request *takes* every
fragment (reserving the existing credit, as the reference sets it to 0 while the request
runs); completing it *adds* one fragment (what `lpgw.pm.settle` puts back). A pending update
never completed expires, and with it the reserved credit: it counts as spent.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from lpgw.pm import BalanceUpdate, UpdateStatus, settle
from lpgw.signer.ceilings import rat
from lpgw.signer.errors import InvalidRequest


class Outcome(Enum):
    """How the caller's request ended (the body of /complete)."""

    RECEIVED = "received"
    SPENT = "spent"
    STAGED = "staged"

    @property
    def status(self) -> UpdateStatus:
        return {
            Outcome.RECEIVED: UpdateStatus.RECEIVED_CHANGE,
            Outcome.SPENT: UpdateStatus.CREDIT_SPENT,
            Outcome.STAGED: UpdateStatus.STAGED,
        }[self]


def parse_amount(text: str | bytes) -> Fraction:
    """A stored amount ("12", "-7/3"); anything else is corrupt data, not caller input."""
    value = text.decode("ascii") if isinstance(text, bytes) else text
    return Fraction(value)


def total(fragments: Iterable[str | bytes]) -> Fraction:
    return sum((parse_amount(f) for f in fragments), Fraction(0))


@dataclass(frozen=True)
class Pending:
    """A staged update waiting for its request to end, as stored under Keys.pending_payment."""

    recipient: str
    bucket: str
    existing: Fraction
    new_credit: Fraction
    fee: Fraction
    units: int
    price: Fraction
    tracks_credit: bool
    client: str
    session: str
    spend_wei: int

    def to_fields(self) -> dict[str, str]:
        return {
            "recipient": self.recipient,
            "bucket": self.bucket,
            "existing": rat(self.existing),
            "new_credit": rat(self.new_credit),
            "fee": rat(self.fee),
            "units": str(self.units),
            "price": rat(self.price),
            "tracks_credit": "1" if self.tracks_credit else "0",
            "client": self.client,
            "session": self.session,
            "spend_wei": str(self.spend_wei),
        }

    @classmethod
    def from_fields(cls, raw: Mapping[bytes, bytes]) -> "Pending":
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return cls(
            recipient=fields["recipient"],
            bucket=fields["bucket"],
            existing=Fraction(fields["existing"]),
            new_credit=Fraction(fields["new_credit"]),
            fee=Fraction(fields["fee"]),
            units=int(fields["units"]),
            price=Fraction(fields["price"]),
            tracks_credit=fields["tracks_credit"] == "1",
            client=fields["client"],
            session=fields["session"],
            spend_wei=int(fields["spend_wei"]),
        )

    @property
    def update(self) -> BalanceUpdate:
        num = 0 if self.new_credit == 0 else 1  # settle() reads only the amounts
        return BalanceUpdate(
            existing=self.existing, num_tickets=num, new_credit=self.new_credit, fee=self.fee
        )


def settlement(pending: Pending, outcome: Outcome, debit_units: int | None) -> Fraction:
    """The fragment to add back when the request ends (§7 step 6).

    received: existing + new credit − debit (debit = debit_units × price, default the fee);
    spent: nothing; staged: the reserved existing credit.
    """
    if debit_units is not None and debit_units < 0:
        raise InvalidRequest("debit_units must not be negative")
    debit = None if debit_units is None else pending.price * debit_units
    return settle(pending.update, outcome.status, debit)


def parse_outcome(value: object) -> Outcome:
    try:
        return Outcome(value)
    except (ValueError, TypeError):
        raise InvalidRequest('outcome must be "received", "spent" or "staged"') from None
