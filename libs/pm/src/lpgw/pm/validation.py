"""The sender checking ticket params before paying with them (payments.md §4.2).

Same order and texts as the reference `validateTicketParams`, so logs and alerts read alike.
The sender's on-chain info is passed in as data; read it only when the params are not free.
"""

from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm.errors import (
    ExpirationBlockZero,
    FaceValueTooHigh,
    FaceValueTooLow,
    NoSenderDeposit,
    NoSenderReserve,
    SenderUnlockingSoon,
    TicketEVTooHigh,
    TicketParamsExpired,
    TicketParamsMissing,
    TotalEVTooHigh,
)
from lpgw.pm.params import SenderInfo, TicketParams

#: The sender stops using params when this many L1 blocks or fewer remain.
PARAMS_EXPIRY_BUFFER = 1


@dataclass(frozen=True)
class SenderLimits:
    """Reference defaults of `-maxTicketEV`, `-maxTotalEV` and `-depositMultiplier`."""

    max_ticket_ev: Fraction = Fraction(3_000_000_000_000)
    max_total_ev: Fraction = Fraction(20_000_000_000_000)
    deposit_multiplier: int = 1


def params_expired(params: TicketParams, latest_l1_block: int) -> bool:
    """True when the sender must refresh params before the next payment."""
    return params.expiration_block - latest_l1_block <= PARAMS_EXPIRY_BUFFER


def validate_sender(info: SenderInfo, last_initialized_round: int) -> None:
    """Our own deposit and reserve must let orchestrators accept us at all."""
    if info.unlocking(last_initialized_round):
        raise SenderUnlockingSoon()
    if info.reserve_funds_remaining == 0:
        raise NoSenderReserve()
    if info.deposit == 0:
        raise NoSenderDeposit()


def validate_ticket_params(
    params: TicketParams | None,
    *,
    latest_l1_block: int,
    sender_info: SenderInfo,
    last_initialized_round: int,
    num_tickets: int = 1,
    limits: SenderLimits | None = None,
) -> None:
    """Raise the first TicketParamsError of §4.2; free params (EV 0) are always valid.

    Discovery uses num_tickets = 1 and drops orchestrators whose params fail.
    """
    limits = limits or SenderLimits()
    if params is None:
        raise TicketParamsMissing()
    if params.expiration_block == 0:
        raise ExpirationBlockZero()
    if params_expired(params, latest_l1_block):
        raise TicketParamsExpired()
    ev = params.ev
    if ev <= 0:
        return
    if ev >= params.face_value:
        raise FaceValueTooLow(params.face_value)
    if ev > limits.max_ticket_ev:
        raise TicketEVTooHigh(ev, limits.max_ticket_ev)
    validate_sender(sender_info, last_initialized_round)
    total_ev = ev * num_tickets
    if total_ev > limits.max_total_ev:
        raise TotalEVTooHigh(total_ev, num_tickets, limits.max_total_ev)
    max_face_value = sender_info.deposit // limits.deposit_multiplier
    if params.face_value > max_face_value:
        raise FaceValueTooHigh(params.face_value, max_face_value)
