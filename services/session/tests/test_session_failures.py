"""Attempt failures: how orchestrator answers are classified and what the job gets."""

import pytest
from lpgw.session.attempts import attempt_budget, should_continue
from lpgw.session.failures import (
    AttemptFailed,
    AttemptTimedOut,
    OrchestratorBusy,
    OrchestratorFailed,
    OrchestratorRejectedCredentials,
    OrchestratorRejectedPayment,
    OrchestratorRejectedRequest,
    OrchestratorUnreachable,
    Verdict,
    failure_for_status,
    verdict_for,
)


@pytest.mark.parametrize(
    ("status", "kind", "retry"),
    [
        pytest.param(400, OrchestratorRejectedRequest, False, id="400 bad input stops the job"),
        pytest.param(422, OrchestratorRejectedRequest, False, id="422 bad input stops the job"),
        pytest.param(402, OrchestratorRejectedCredentials, True, id="402 payment: try another"),
        pytest.param(403, OrchestratorRejectedCredentials, True, id="403 credentials: another"),
        pytest.param(404, OrchestratorRejectedCredentials, True, id="404 route missing: another"),
        pytest.param(503, OrchestratorBusy, True, id="503 busy: try another"),
        pytest.param(500, OrchestratorFailed, True, id="500 worker error: try another"),
        pytest.param(502, OrchestratorFailed, True, id="502 proxy error: try another"),
    ],
)
def test_failure_for_status(status: int, kind: type[AttemptFailed], retry: bool) -> None:
    failure = failure_for_status(status, " reason\n")
    assert type(failure) is kind
    assert failure.retry_elsewhere is retry


@pytest.mark.parametrize(
    "body",
    [
        "TicketParams expired",
        "invalid ticket senderNonce: already seen sender=0xAb nonce=3",
        "invalid ticket signature",
        "Insufficient balance",
        "Could not find Sender for payment",
        "invalid recipientRand for ticket recipientRandHash",
    ],
)
def test_a_refused_payment_is_not_a_bad_request(body: str) -> None:
    """The reference answers 400 for both; only a bad request stops the job."""
    failure = failure_for_status(400, body + "\n")
    assert type(failure) is OrchestratorRejectedPayment
    assert failure.retry_elsewhere
    assert failure.message == body


def test_failure_message_is_trimmed_and_bounded() -> None:
    assert failure_for_status(400, "  bad image \n").message == "bad image"
    assert len(failure_for_status(500, "x" * 5000).message) == 300


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        pytest.param(
            None,
            Verdict(503, "no orchestrator available for text-to-image/m"),
            id="no candidates at all",
        ),
        pytest.param(
            OrchestratorBusy("insufficient capacity"),
            Verdict(503, "no orchestrator available for text-to-image/m"),
            id="everyone busy",
        ),
        pytest.param(
            AttemptTimedOut(""),
            Verdict(503, "no orchestrator available for text-to-image/m"),
            id="last one timed out",
        ),
        pytest.param(
            OrchestratorRejectedRequest("invalid image"),
            Verdict(400, "invalid image"),
            id="bad request keeps the orchestrator's reason",
        ),
    ],
)
def test_verdict_for(last: AttemptFailed | None, expected: Verdict) -> None:
    assert verdict_for(last, "text-to-image", "m") == expected


class _C:
    def __init__(self, url: str) -> None:
        self.url = url


@pytest.mark.parametrize(
    ("job", "service", "expected"),
    [
        pytest.param(3, 3, 3, id="both agree"),
        pytest.param(5, 3, 3, id="service bound wins"),
        pytest.param(2, 3, 2, id="job bound wins"),
        pytest.param(0, 3, 1, id="at least one attempt"),
    ],
)
def test_attempt_budget(job: int, service: int, expected: int) -> None:
    assert attempt_budget(job, service) == expected


@pytest.mark.parametrize(
    ("made", "budget", "last", "expected"),
    [
        pytest.param(0, 3, None, True, id="first attempt"),
        pytest.param(1, 3, OrchestratorBusy(), True, id="busy: next one"),
        pytest.param(1, 3, OrchestratorUnreachable(), True, id="unreachable: next one"),
        pytest.param(3, 3, OrchestratorBusy(), False, id="budget spent"),
        pytest.param(1, 3, OrchestratorRejectedRequest(), False, id="bad request: stop"),
    ],
)
def test_should_continue(
    made: int, budget: int, last: AttemptFailed | None, expected: bool
) -> None:
    assert should_continue(made, budget, last) is expected
