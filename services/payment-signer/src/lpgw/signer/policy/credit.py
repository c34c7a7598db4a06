"""Running credit with an orchestrator per (recipient, bucket): how many tickets a payment
needs, and what the end of a request changes. Pure.

The reference reserves the existing credit while a request runs and settles it afterwards,
which costs a second call per request and makes concurrent requests each buy their own
tickets. Here a payment settles at once as if its request will be answered (credit += new
tickets' EV − fee, §7 "received"), so a request needs one call; the rare other endings are
corrections applied later (`after_ending`):

- staged (the request never left): the payment is undone exactly;
- spent (sent, no usable answer): like the reference, the credit is treated as gone (it
  becomes at most 0), so the next request buys a full minimum afresh;
- received with a debit other than the estimate (transcoding: pixels actually produced):
  the difference is added back.

Because a payment may rely on tickets that a concurrent request sent a moment earlier and that
can reach the orchestrator after it, the credit is kept `headroom` tickets above the
reference's minimum max(fee, EV): one reordered purchase never leaves the orchestrator's
balance below one EV.
"""

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from lpgw.pm.balances import min_credit, tickets_needed
from lpgw.signer.errors import InvalidRequest


class Ending(Enum):
    """How a paid request ended (the `outcome` of a settlement call)."""

    RECEIVED = "received"
    SPENT = "spent"
    STAGED = "staged"


@dataclass(frozen=True)
class Purchase:
    """What one payment adds and takes: `tickets` worth `new_credit`, and the `fee`."""

    tickets: int
    new_credit: Fraction
    fee: Fraction

    def applied(self, credit: Fraction) -> Fraction:
        return credit + self.new_credit - self.fee


def purchase(credit: Fraction, fee: Fraction, ev: Fraction, headroom: int) -> Purchase:
    """The tickets that bring `credit` to max(fee, EV) + `headroom` × EV before the fee."""
    if ev <= 0:
        return Purchase(tickets=0, new_credit=Fraction(0), fee=fee)
    count = tickets_needed(min_credit(fee, ev) + headroom * ev, credit, ev)
    return Purchase(tickets=count, new_credit=ev * count, fee=fee)


def after_ending(
    credit: Fraction,
    bought: Purchase,
    ending: Ending,
    *,
    price: Fraction,
    units: int,
    debit_units: int | None,
) -> Fraction:
    """The credit once a request paid with `bought` ended as `ending` (see the module doc)."""
    if ending is Ending.STAGED:
        return credit + bought.fee - bought.new_credit
    if ending is Ending.SPENT:
        return min(credit, Fraction(0))
    if debit_units is None:
        return credit
    return credit + price * (units - debit_units)


def parse_ending(value: object) -> Ending:
    try:
        return Ending(value)
    except (ValueError, TypeError):
        raise InvalidRequest('outcome must be "received", "spent" or "staged"') from None
