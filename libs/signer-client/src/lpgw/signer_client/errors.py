"""Why the payment-signer did not pay: one type per answer, mapped from its statuses once
(`refusal_for`), so callers decide by type.

Two families: the signer refused (`PaymentRefused` and its kinds: this orchestrator's offer or
our own spending limits), or it could not be asked (`SignerUnavailable`). Every message is the
signer's own and safe to show: it carries no secret.
"""

from enum import Enum


class PaymentError(Exception):
    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class PaymentRefused(PaymentError):
    """The signer answered and said no."""


class PriceAboveCeiling(PaymentRefused):
    """481: this orchestrator's price is above our ceiling; another one may be cheaper."""


class PaymentCapExceeded(PaymentRefused):
    """403: this orchestrator's ticket EV or face value is above our caps."""


class BudgetExhausted(PaymentRefused):
    """429: the client's or the job's spend budget is used up; no orchestrator helps."""


class OfferRefused(PaymentRefused):
    """400 to opening a session: the ticket params cannot be paid with (expired, EV ≥ face
    value, no price…)."""


class RefreshNeeded(PaymentRefused):
    """480: the auth token or the params are about to expire, or used up: get a fresh
    OrchestratorInfo and open a new session."""


class UnknownSession(PaymentRefused):
    """404 to a payment: the session expired or the signer never knew it: open it again."""


class UnknownPayment(PaymentRefused):
    """404 to a settlement: settled already, expired, or a payment that moved no credit."""


class InvalidPaymentRequest(PaymentRefused):
    """400 or 409 to a payment or settlement: our own request is wrong (a bug, not the
    network)."""


class JobNotSigned(PaymentRefused):
    """400 to a BYOC job signature: the request or parameters cannot be signed (not JSON
    object text, too long, or exactly 32 bytes); the job's own input, not the network."""


class SignerUnavailable(PaymentError):
    """No usable answer from the signer (no connection, timeout, 5xx, wrong token)."""


class Call(Enum):
    """Which call was answered: the same status means different things to each."""

    OPEN = "open"
    PAY = "pay"
    SETTLE = "settle"
    SIGN_JOB = "sign_job"


_NOT_FOUND = {Call.PAY: UnknownSession, Call.SETTLE: UnknownPayment}
_BAD_REQUEST: dict[Call, type[PaymentRefused]] = {
    Call.OPEN: OfferRefused,
    Call.SIGN_JOB: JobNotSigned,
}
_REFUSALS: dict[int, type[PaymentRefused]] = {
    481: PriceAboveCeiling,
    403: PaymentCapExceeded,
    429: BudgetExhausted,
    480: RefreshNeeded,
}


def refusal_for(status: int, message: str, call: Call) -> PaymentError:
    """The one mapping from a signer status to an error type."""
    if status in _REFUSALS:
        return _REFUSALS[status](message)
    if status == 400:
        return _BAD_REQUEST.get(call, InvalidPaymentRequest)(message)
    if status == 409:  # an idempotency key reused for another request: our bug
        return InvalidPaymentRequest(message)
    if status == 404 and call in _NOT_FOUND:
        return _NOT_FOUND[call](message)
    return SignerUnavailable(f"payment signer answered {status}")
