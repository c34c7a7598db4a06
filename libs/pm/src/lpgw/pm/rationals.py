"""Exact amounts as text, the way the reference writes them (Go's `big.Rat.RatString`).

Wei amounts, prices and credits are exact rationals (EV has 2²⁵⁶ − 1 in its denominator), so
they travel and are stored as `"n"` or `"n/d"`, never as floats.
"""

from fractions import Fraction


def rat_string(value: Fraction) -> str:
    """`n` for integers, `n/d` otherwise."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def parse_rat(text: str | bytes) -> Fraction:
    """The amount `rat_string` wrote (`"12"`, `"-7/3"`); ValueError for anything else."""
    value = text.decode("ascii") if isinstance(text, bytes) else text
    try:
        return Fraction(value)
    except ZeroDivisionError:
        raise ValueError(f"not an amount: {value!r}") from None
