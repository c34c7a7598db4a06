"""The error tree of lpgw.pm.

Every error's `str()` is the reference implementation's text, because orchestrators answer
HTTP 400 with it and operators grep for it; code decides on the type and on `fatal`, never on
the text. `fatal` means the whole payment is rejected, not only the ticket at hand.
"""

from fractions import Fraction
from typing import ClassVar

from lpgw.eth import to_checksum
from lpgw.pm.ev import float_string
from lpgw.pm.rationals import rat_string


class PmError(Exception):
    """Base of every lpgw.pm error."""

    fatal: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidPrice(PmError):
    """A PriceInfo that cannot be a price (pixelsPerUnit = 0)."""

    def __init__(self) -> None:
        super().__init__("pixels per unit is 0")


# --- orchestrator side: issuing params -------------------------------------------------


class InsufficientSenderReserve(PmError):
    """The sender's reserve share cannot back a ticket worth the EV target."""

    def __init__(self) -> None:
        super().__init__("insufficient sender reserve")


# --- orchestrator side: receiving a payment (§3.4) --------------------------------------


class ReceiveError(PmError):
    """A payment or one of its tickets was refused by the recipient."""


class SenderMissing(ReceiveError):
    fatal = True

    def __init__(self) -> None:
        super().__init__("Could not find Sender for payment")


class OrchestratorInactive(ReceiveError):
    fatal = True

    def __init__(self, recipient: bytes, round_: int) -> None:
        super().__init__(
            f"orchestrator {to_checksum(recipient)} is inactive in round {round_}, "
            "cannot process payments"
        )


class InvalidExpectedPrice(ReceiveError):
    fatal = True

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid expected price sent with payment err={reason}")


class SenderUnlocking(ReceiveError):
    fatal = True

    def __init__(self, sender: bytes) -> None:
        super().__init__(
            f"deposit and reserve for sender {to_checksum(sender)} is set to unlock soon"
        )


class InvalidTicketRecipient(ReceiveError):
    fatal = True

    def __init__(self) -> None:
        super().__init__("invalid ticket recipient")


class InvalidTicketSender(ReceiveError):
    fatal = True

    def __init__(self) -> None:
        super().__init__("invalid ticket sender")


class InvalidRecipientRand(ReceiveError):
    """The echoed params do not re-derive the committed random number (echo mismatch)."""

    fatal = True

    def __init__(self) -> None:
        super().__init__("invalid recipientRand for ticket recipientRandHash")


class InvalidTicketSignature(ReceiveError):
    def __init__(self) -> None:
        super().__init__("invalid ticket signature")


class NonceAlreadySeen(ReceiveError):
    def __init__(self, sender: bytes, nonce: int) -> None:
        super().__init__(
            f"invalid ticket senderNonce: already seen sender={to_checksum(sender)} nonce={nonce}"
        )
        self.nonce = nonce


class TooManyNonces(ReceiveError):
    def __init__(self, sender: bytes, nonce: int) -> None:
        super().__init__(
            f"invalid ticket senderNonce: too many values sender={to_checksum(sender)} "
            f"nonce={nonce}"
        )
        self.nonce = nonce


class InsufficientBalance(ReceiveError):
    def __init__(self) -> None:
        super().__init__("Insufficient balance")


# --- sender side: validating received params (§4.2, §4.3) -------------------------------


class TicketParamsError(PmError):
    """Ticket params the gateway must not pay with."""


class TicketParamsMissing(TicketParamsError):
    def __init__(self) -> None:
        super().__init__("ticketParams is nil")


class ExpirationBlockZero(TicketParamsError):
    def __init__(self) -> None:
        super().__init__("ticketParams expiration block is 0")


class TicketParamsExpired(TicketParamsError, ReceiveError):
    """Same text on both sides: the sender refreshes, the recipient refuses credit."""

    def __init__(self) -> None:
        super().__init__("TicketParams expired")


class FaceValueTooLow(TicketParamsError):
    def __init__(self, face_value: int) -> None:
        super().__init__(f"ticket faceValue too low faceValue={face_value}")


class TicketEVTooHigh(TicketParamsError):
    def __init__(self, ev: Fraction, max_ev: Fraction) -> None:
        super().__init__(
            f"ticket EV {float_string(ev, 5)} > max ticket EV {float_string(max_ev, 5)}"
        )


class SenderValidationError(TicketParamsError):
    """Our own on-chain deposit/reserve state makes every orchestrator refuse us."""


class SenderUnlockingSoon(SenderValidationError):
    def __init__(self) -> None:
        super().__init__("unable to validate sender: deposit and reserve is set to unlock soon")


class NoSenderReserve(SenderValidationError):
    def __init__(self) -> None:
        super().__init__("no sender reserve")


class NoSenderDeposit(SenderValidationError):
    def __init__(self) -> None:
        super().__init__("no sender deposit")


class TotalEVTooHigh(TicketParamsError):
    def __init__(self, total_ev: Fraction, num_tickets: int, max_total_ev: Fraction) -> None:
        super().__init__(
            f"total ticket EV {float_string(total_ev, 5)} for {num_tickets} tickets > "
            f"max total ticket EV {float_string(max_total_ev, 5)}"
        )


class FaceValueTooHigh(TicketParamsError):
    def __init__(self, face_value: int, max_face_value: int) -> None:
        super().__init__(f"ticket faceValue {face_value} > max faceValue {max_face_value}")


class PriceMoreThanDoubled(PmError):
    """The orchestrator raised its price mid-session; the reference abandons the session."""

    def __init__(self, price: Fraction, initial: Fraction) -> None:
        super().__init__(
            f"Orchestrator price has more than doubled, Orchestrator price: "
            f"{rat_string(price)}, Orchestrator initial price: {rat_string(initial)}"
        )


# --- sender side: ticket counts of the remote signer (§11.3 step 7) ----------------------


class NoTickets(PmError):
    """Existing credit covers the fee: nothing to send this cycle (remote signer 482)."""

    def __init__(self) -> None:
        super().__init__("no tickets")


class TooManyTickets(PmError):
    def __init__(self, num_tickets: int, maximum: int) -> None:
        super().__init__(f"numTickets {num_tickets} exceeds maximum of {maximum}")
        self.num_tickets = num_tickets
