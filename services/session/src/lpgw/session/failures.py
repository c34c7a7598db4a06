"""Why an attempt on one orchestrator failed, and what that means for the job.

Errors are types: the HTTP and gRPC boundaries (`ai_worker.py`, `orchestrator_info.py`) turn
statuses and exceptions into one of these once, and everything after decides by type. Each
type says whether trying another orchestrator can help (`retry_elsewhere`) and names itself
for OUTCOMES (`kind`).

Decision on 4xx: an orchestrator answers 400 when it cannot decode the body or compute units
from it (wire.md §7.4 steps 0 and 3), i.e. the application's input is bad; another
orchestrator would refuse it the same way, so the job stops with a 400. 402 and 403 concern
our payment or credentials with that orchestrator, so another one may accept.
An orchestrator also answers 400 when it refuses our payment (steps 6 and 7); the status is
the same, only the reference's text tells them apart, so this boundary (and only it) reads
the text, as the reference gateway does, and makes it a `OrchestratorRejectedPayment`.
"""

from dataclasses import dataclass
from typing import ClassVar

_MAX_MESSAGE_CHARS = 300


class AttemptFailed(Exception):
    kind: ClassVar[str] = "error"
    retry_elsewhere: ClassVar[bool] = True

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message[:_MAX_MESSAGE_CHARS]


class OrchestratorUnreachable(AttemptFailed):
    """Connection refused/reset, TLS failure, or GetOrchestrator did not answer."""

    kind = "unreachable"


class ConnectFailed(OrchestratorUnreachable):
    """No connection was made: the request (and its payment) never left."""


class OrchestratorRefused(AttemptFailed):
    """GetOrchestrator answered an error (e.g. capacity, signature, sender reserve)."""

    kind = "refused"


class OrchestratorBusy(AttemptFailed):
    """503 `insufficient capacity`."""

    kind = "busy"


class OrchestratorRejectedRequest(AttemptFailed):
    """400/422: the request itself is bad. Not retried elsewhere."""

    kind = "bad_request"
    retry_elsewhere = False


class OrchestratorRejectedCredentials(AttemptFailed):
    """402/403 and other 4xx: payment or segment credentials refused by this orchestrator."""

    kind = "rejected_credentials"


class OrchestratorRejectedPayment(AttemptFailed):
    """400 with a payment-processing error: our tickets or balance, not the request."""

    kind = "payment_rejected"


class TicketParamsUnusable(AttemptFailed):
    """The signer refused this orchestrator's ticket params, even freshly fetched ones."""

    kind = "invalid_ticket_params"


class OrchestratorFailed(AttemptFailed):
    """5xx other than 503: the worker or the orchestrator broke."""

    kind = "orchestrator_error"


class AttemptTimedOut(AttemptFailed):
    kind = "timeout"


class InvalidResponse(AttemptFailed):
    """200 with a body that is not the pipeline's JSON response."""

    kind = "invalid_response"


class StreamBroken(AttemptFailed):
    """A streamed answer broke after its first event reached the client: another orchestrator
    cannot take it over (the client has half an answer)."""

    kind = "stream_broken"
    retry_elsewhere = False


class MediaUnavailable(AttemptFailed):
    """A result media URL could not be fetched (or decoded) in time."""

    kind = "media_unavailable"


_PAYMENT_ERROR_TEXTS = (
    "ticketparams expired",
    "invalid ticket",
    "insufficient balance",
    "could not find sender",
    "invalid recipientrand",
    "invalid expected price",
    "cannot process payments",
    "is set to unlock soon",
)
"""Lower-cased fragments of the reference's payment-processing errors (payments.md §3.4)."""


_CAPPED = "orchestratorcapped"
"""A transcoding orchestrator at its session limit answers 403 with this text (wire.md §7.3)."""


class TranscodeFailed(AttemptFailed):
    """`/segment` answered 200 with a TranscodeResult that carries an error, or no renditions."""

    kind = "transcode_error"


class PriceRose(AttemptFailed):
    """The orchestrator now asks more than the ceiling or twice the stream's first price."""

    kind = "price_rose"


def failure_for_status(status: int, body: str) -> AttemptFailed:
    """The one mapping from an orchestrator's non-200 HTTP status to a failure type."""
    message = body.strip()
    if status == 400 and any(text in message.lower() for text in _PAYMENT_ERROR_TEXTS):
        return OrchestratorRejectedPayment(message)
    if status in (400, 422):
        return OrchestratorRejectedRequest(message)
    if status == 503 or (status == 403 and _CAPPED in message.lower()):
        return OrchestratorBusy(message)
    if 400 <= status < 500:
        return OrchestratorRejectedCredentials(f"{status}: {message}")
    return OrchestratorFailed(f"{status}: {message}")


@dataclass(frozen=True)
class Verdict:
    """The job's error when no attempt succeeded; becomes a bus JobError."""

    status: int
    message: str


def no_orchestrator(pipeline: str, model_id: str) -> Verdict:
    return Verdict(503, f"no orchestrator available for {pipeline}/{model_id}")


def verdict_for(last: AttemptFailed | None, pipeline: str, model_id: str) -> Verdict:
    """A bad request is the application's fault (400 with the orchestrator's reason); anything
    else means no orchestrator could do it (503)."""
    if isinstance(last, OrchestratorRejectedRequest):
        return Verdict(400, last.message or "the orchestrator rejected the request")
    return no_orchestrator(pipeline, model_id)


def signer_unavailable() -> Verdict:
    return Verdict(503, "payment signer unavailable, try again later")


def deadline_passed() -> Verdict:
    return Verdict(504, "the request deadline passed before an orchestrator could start it")
