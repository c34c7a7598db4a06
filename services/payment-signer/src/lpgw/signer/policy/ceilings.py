"""Price ceilings: the most the signer pays an orchestrator per unit of work.

Configured like the reference `-maxPricePerCapability` (a list of
`{"pipeline", "model_id", "price_per_unit", "pixels_per_unit"}`, model "default" = any model
of the pipeline) plus one global ceiling like `-maxPricePerUnit`. As in the reference, the most
specific entry wins: an exact (pipeline, model) entry, else the pipeline's "default" entry,
else the global ceiling; no entry at all means no ceiling. Pure: no I/O.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm import Price
from lpgw.pm.rationals import rat_string
from lpgw.signer.errors import Excess, PriceCeilingExceeded
from pydantic import BaseModel, ConfigDict, Field

ANY_MODEL = "default"
GLOBAL_LIMIT = "SIGNER_MAX_PRICE_PER_UNIT"


class MaxPrice(BaseModel):
    """One entry of SIGNER_MAX_PRICES (wei per unit = price_per_unit / pixels_per_unit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pipeline: str = Field(min_length=1)
    model_id: str = ANY_MODEL
    price_per_unit: int = Field(ge=0)
    pixels_per_unit: int = Field(default=1, gt=0)
    currency: str = Field(default="wei", pattern="^(?i:wei)$")

    @property
    def price(self) -> Fraction:
        return Fraction(self.price_per_unit, self.pixels_per_unit)


@dataclass(frozen=True)
class Ceiling:
    """The ceiling that applies to one capability, and the setting it comes from."""

    price: Fraction
    source: str


def ceiling_for(
    pipeline: str,
    model_id: str,
    entries: Sequence[MaxPrice],
    global_price: Fraction | None,
) -> Ceiling | None:
    """The most specific configured ceiling for (pipeline, model_id), or None."""
    for entry in entries:
        if entry.pipeline == pipeline and entry.model_id == model_id and model_id != ANY_MODEL:
            return Ceiling(entry.price, f"SIGNER_MAX_PRICES[{pipeline}/{model_id}]")
    for entry in entries:
        if entry.pipeline == pipeline and entry.model_id == ANY_MODEL:
            return Ceiling(entry.price, f"SIGNER_MAX_PRICES[{pipeline}/{ANY_MODEL}]")
    if global_price is not None:
        return Ceiling(global_price, GLOBAL_LIMIT)
    return None


def check_ceiling(price: Price, ceiling: Ceiling | None) -> None:
    """Raise PriceCeilingExceeded (481) when `price` is above the ceiling."""
    if ceiling is None or price.value <= ceiling.price:
        return
    excess = price.value - ceiling.price
    raise PriceCeilingExceeded(
        f"orchestrator price {rat_string(price.value)} exceeds {ceiling.source} ceiling "
        f"{rat_string(ceiling.price)} wei per unit by {rat_string(excess)}",
        Excess(
            limit=ceiling.source,
            allowed=rat_string(ceiling.price),
            requested=rat_string(price.value),
            excess=rat_string(excess),
        ),
    )


def check_ceilings(price: Price, ceilings: Iterable[Ceiling | None]) -> None:
    """Every ceiling in turn; the first one exceeded is reported."""
    for ceiling in ceilings:
        check_ceiling(price, ceiling)
