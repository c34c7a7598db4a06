"""Prices: wei per unit as exact reduced rationals (wire.md §3.4).

The wire carries `pricePerUnit / pixelsPerUnit` as two int64s; everything that matters
(recipientRand, fees, ceilings) uses the reduced fraction, so 1000/1000 equals 1/1.
"""

from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm.errors import InvalidPrice, PriceMoreThanDoubled

#: The reference abandons a session whose price rose above this multiple of the initial one.
PRICE_INCREASE_THRESHOLD = 2


@dataclass(frozen=True, order=True)
class Price:
    """Wei per unit; `value` is always a reduced Fraction."""

    value: Fraction

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", Fraction(self.value))

    @classmethod
    def of(cls, price_per_unit: int, pixels_per_unit: int) -> "Price":
        """The price of a wire PriceInfo; pixelsPerUnit 0 is refused like the reference does."""
        if pixels_per_unit == 0:
            raise InvalidPrice()
        return cls(Fraction(price_per_unit, pixels_per_unit))

    @property
    def numerator(self) -> int:
        return self.value.numerator

    @property
    def denominator(self) -> int:
        return self.value.denominator

    def fee(self, units: int | Fraction) -> Fraction:
        """Cost of `units` units at this price."""
        return self.value * units

    def is_free(self) -> bool:
        return self.value <= 0


ZERO_PRICE = Price(Fraction(0))


@dataclass(frozen=True)
class PriceInfo:
    """The wire form (`net.PriceInfo`), kept as sent because senders must echo it verbatim."""

    price_per_unit: int
    pixels_per_unit: int

    def price(self) -> Price:
        return Price.of(self.price_per_unit, self.pixels_per_unit)


def check_price_drift(current: Price, initial: Price) -> None:
    """Refuse to keep paying when the orchestrator more than doubled its price (§4.3)."""
    if current.value > initial.value * PRICE_INCREASE_THRESHOLD:
        raise PriceMoreThanDoubled(current.value, initial.value)
