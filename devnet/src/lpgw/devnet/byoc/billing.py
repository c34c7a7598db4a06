"""What one BYOC job is charged against: the (sender, capability name) bucket of the devnet's
ledger, at the capability's price per second (payments.md §8, §9).

Batch jobs are charged ceil(elapsed seconds) × price once they end, whatever the outcome;
streamed ones 5 seconds' worth at every debit tick. With payments off nothing is charged and
every balance reads 0.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

from lpgw.devnet.payments import Charge, Payments
from lpgw.pm import Price
from lpgw.pm.ev import float_string

STREAM_DEBIT_SECONDS = 5
"""Seconds of work debited at each tick of a streamed answer (the reference's 5 s ticker)."""


@dataclass(frozen=True)
class JobAccount:
    payments: Payments | None
    sender: bytes
    capability: str
    price: Fraction
    """Wei per second."""

    @property
    def charged(self) -> bool:
        return self.payments is not None and self.price > 0

    def balance(self) -> Fraction:
        if self.payments is None:
            return Fraction(0)
        return self.payments.balance(self.sender, self.capability)

    async def debit_seconds(self, seconds: int) -> Fraction:
        """Debit `seconds` of work; the balance after it (it may go negative)."""
        if self.payments is not None and self.charged:
            charge = Charge(sender=self.sender, bucket=self.capability, price=Price(self.price))
            await self.payments.debit(charge, seconds)
        return self.balance()

    async def charge_elapsed(self, elapsed_s: float) -> Fraction:
        """A batch job's fee: ceil(elapsed seconds) × price."""
        return await self.debit_seconds(math.ceil(elapsed_s))

    def balance_header(self) -> str:
        """`Livepeer-Balance` / `Livepeer-Payment-Balance`: whole wei, rounded as Go prints."""
        return float_string(self.balance(), 0)

    def balance_line(self) -> str:
        """The event inserted before a streamed answer's `[DONE]`."""
        return f'data: {{"balance": {float_string(self.balance(), 3)}}}'
