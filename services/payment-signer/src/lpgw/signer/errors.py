"""The signer's error tree; envelope.py maps each type to an HTTP status, once.

Every message is safe to return to the caller: it never carries a key, token or password.
"""

from dataclasses import dataclass


class SignerError(Exception):
    """Base of errors a caller can cause; the message is safe to return to the caller."""


class Unauthorized(SignerError):
    """No bearer token, or one that is not accepted."""


class InvalidRequest(SignerError):
    """The request body cannot be used (400)."""


class ParamsRejected(InvalidRequest):
    """The orchestrator's ticket params fail sender-side validation; the text is lpgw.pm's."""


class UnknownSession(SignerError):
    """No payment session with this id for this client: never opened, or expired (404)."""


class UnknownPayment(SignerError):
    """No payment with this id to settle: never made, settled already, or expired (404)."""


class IdempotencyConflict(SignerError):
    """An idempotency key used before with another request (409)."""


class RefreshNeeded(SignerError):
    """The caller must fetch a fresh OrchestratorInfo and retry (480, as the reference)."""

    def __init__(self, message: str, orchestrator_url: str) -> None:
        super().__init__(message)
        self.orchestrator_url = orchestrator_url


class NothingToPay(SignerError):
    """Existing credit covers the fee: no tickets this cycle (482 `no tickets`)."""


class Unavailable(SignerError):
    """A dependency (NATS audit stream, Redis, the selector) cannot be reached (503)."""


class BadGateway(SignerError):
    """The auth webhook answered something unusable where the reference answers 502."""


class WebhookRejected(SignerError):
    """The auth webhook refused the call with its own status and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Excess:
    """Which limit a request would break and by how much (wei, or wei per unit for prices)."""

    limit: str
    allowed: str
    requested: str
    excess: str


class LimitExceeded(SignerError):
    """A configured spend control refuses the request; `status` depends on the kind."""

    status = 403

    def __init__(self, message: str, excess: Excess) -> None:
        super().__init__(message)
        self.excess = excess


class PriceCeilingExceeded(LimitExceeded):
    """The orchestrator's price is above a ceiling (481, as the reference)."""

    status = 481


class EvCapExceeded(LimitExceeded):
    """A ticket's EV, the call's total EV or a face value is above its cap (403)."""

    status = 403


class BudgetExceeded(LimitExceeded):
    """A client's or a session's spend budget would be exceeded (429)."""

    status = 429
