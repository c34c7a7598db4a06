"""Prices in wei per unit as exact rationals, and the two ways GetOrchestrator reports them.

With capabilities the price is the sum over what was asked (wire.md §6.4); without, every
(capability, model) price is listed, truncated to whole wei as the reference does (§3.2).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from lpgw.wire.net import lp_rpc_pb2 as pb


def price_info(price: Fraction) -> pb.PriceInfo:
    """A reduced rational as PriceInfo; zero is 0 per 1 so the denominator stays valid."""
    return pb.PriceInfo(pricePerUnit=price.numerator, pixelsPerUnit=price.denominator)


@dataclass(frozen=True)
class PriceTable:
    """Wei per unit for each served (capability, model), and the transcoding price."""

    by_capability: Mapping[int, Mapping[str, Fraction]]
    transcoding: Fraction

    @classmethod
    def for_models(
        cls,
        served: Mapping[int, Sequence[str]],
        price_of: Callable[[str], Fraction],
        transcoding: Fraction,
    ) -> "PriceTable":
        """Every served (capability, model) at `price_of(model)`."""
        return cls(
            by_capability={
                capability: {model: price_of(model) for model in models}
                for capability, models in served.items()
            },
            transcoding=transcoding,
        )

    def for_job(self, capabilities: pb.Capabilities) -> Fraction:
        """Sum of the prices of every (capability in `capacities`, model in its constraints).

        A model the devnet does not serve adds nothing; a zero sum falls back to transcoding.
        """
        total = Fraction(0)
        per_capability = capabilities.constraints.PerCapability
        for capability in capabilities.capacities:
            if capability not in per_capability:
                continue
            prices = self.by_capability.get(capability, {})
            for model in per_capability[capability].models:
                total += prices.get(model, Fraction(0))
        return total if total else self.transcoding

    def model_price(self, capability: int, model: str) -> Fraction:
        """The configured price of one served (capability, model); 0 if not served."""
        return self.by_capability.get(capability, {}).get(model, Fraction(0))

    def listed(self) -> list[pb.PriceInfo]:
        """One entry per (capability, model), whole wei per unit, for general info."""
        return [
            pb.PriceInfo(
                pricePerUnit=int(price),
                pixelsPerUnit=1,
                capability=capability,
                constraint=model,
            )
            for capability, prices in sorted(self.by_capability.items())
            for model, price in prices.items()
        ]
