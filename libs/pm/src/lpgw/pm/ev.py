"""Expected value and win probability as exact rationals (payments.md §2.5).

A ticket's EV is what the sender gets in credit and the recipient credits per accepted ticket;
floats would make both sides disagree by dust that accumulates into refused payments.
"""

from fractions import Fraction

from lpgw.pm.encoding import MAX_UINT256

#: winProb is a numerator over 2**256 - 1; this value means "always wins".
MAX_WIN_PROB = MAX_UINT256


def ticket_ev(face_value: int, win_prob: int) -> Fraction:
    """faceValue × winProb / (2**256 − 1)."""
    return Fraction(face_value * win_prob, MAX_WIN_PROB)


def win_probability(win_prob: int) -> Fraction:
    """P(win) of a ticket, between 0 and 1."""
    return Fraction(win_prob, MAX_WIN_PROB)


def float_string(value: Fraction, places: int) -> str:
    """Go's big.Rat.FloatString: `places` decimals, halves rounded away from zero.

    Reference error texts print EVs this way, so ours must too.
    """
    if places < 0:
        raise ValueError("places is not negative")
    scale = 10**places
    quotient, remainder = divmod(abs(value.numerator) * scale, value.denominator)
    if 2 * remainder >= value.denominator:
        quotient += 1
    sign = "-" if value < 0 else ""
    if places == 0:
        return f"{sign}{quotient}"
    whole, fraction = divmod(quotient, scale)
    return f"{sign}{whole}.{fraction:0{places}d}"
