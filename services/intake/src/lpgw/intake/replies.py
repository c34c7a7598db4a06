"""Every answer intake gives, as status + JSON body: results, job errors and intake's own
errors are mapped here and nowhere else.

Error bodies carry both envelopes (ai-api.md §1.1): `{"error": {"message": m}, "detail":
{"msg": m}}`; schema violations put the field list in `detail` (`HTTPValidationError`).
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from lpgw.bus.events import JobResult
from lpgw.intake.ai.media_urls import rehost_urls
from lpgw.intake.errors import (
    BodyTooLarge,
    ClientDisconnected,
    FileRejected,
    IntakeError,
    InvalidJobRequest,
    InvalidRequest,
    MalformedJson,
    NoDefaultModel,
    QueueUnavailable,
    ResultTimeout,
    ResultUnavailable,
    UnknownRequestId,
    UnreadableInput,
    UnsupportedBody,
)
from lpgw.service.envelope import error_body

ORCHESTRATOR_HEADER = "X-Orchestrator-Url"
"""Which orchestrator did the work, as the reference gateway says for BYOC (ai-api.md §5.1)."""

# Besides every 4xx, the statuses a job error keeps with its message; others become a bare 500.
_PASSED_THROUGH_5XX = frozenset({503, 504})


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def internal_error(job_id: str) -> Reply:
    """Never internals in a 500, only something to find the logs with (quirk 6)."""
    return Reply(500, error_body(f"Internal Server Error (request {job_id})"))


def reply_for_result(result: JobResult, media_base_url: str) -> Reply:
    if result.ok and result.response is not None:
        headers = {ORCHESTRATOR_HEADER: result.orchestrator} if result.orchestrator else {}
        return Reply(200, rehost_urls(result.response, media_base_url), headers)
    error = result.error
    if error is None or not passes_through(error.status):
        return internal_error(result.job_id)
    return Reply(error.status, error_body(error.message))


def passes_through(status: int) -> bool:
    return 400 <= status < 500 or status in _PASSED_THROUGH_5XX


def reply_for_error(exc: IntakeError, job_id: str) -> Reply:
    match exc:
        case InvalidRequest():
            items = [asdict(e) | {"loc": list(e.loc)} for e in exc.errors]
            return Reply(422, {"error": {"message": str(exc)}, "detail": items})
        case (
            MalformedJson()
            | NoDefaultModel()
            | UnsupportedBody()
            | UnreadableInput()
            | UnknownRequestId()
            | InvalidJobRequest()
        ):
            return Reply(400, error_body(str(exc)))
        case FileRejected():
            return Reply(exc.status, error_body(str(exc)))
        case BodyTooLarge():
            return Reply(413, error_body(str(exc)))
        case QueueUnavailable():
            return Reply(503, error_body(f"job queue unavailable, retry later (request {job_id})"))
        case ClientDisconnected():
            return Reply(499, error_body(f"the client closed the connection (request {job_id})"))
        case ResultUnavailable():
            return Reply(503, error_body(f"{exc} (request {job_id})"))
        case ResultTimeout():
            return Reply(504, error_body(f"timed out waiting for a result (request {job_id})"))
        case _:
            return internal_error(job_id)
