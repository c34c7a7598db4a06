"""Job results and intake errors as the HTTP answers applications see."""

from typing import Any

import pytest
from lpgw.bus.events import JobError, JobResult
from lpgw.intake.ai.media_urls import rehost_urls
from lpgw.intake.errors import (
    BodyTooLarge,
    FieldError,
    IntakeError,
    InvalidRequest,
    MalformedJson,
    NoDefaultModel,
    QueueUnavailable,
    ResultTimeout,
)
from lpgw.intake.replies import reply_for_error, reply_for_result

BASE = "https://media.example"
JOB = "0123456789abcdef"


def failed(status: int, message: str) -> JobResult:
    return JobResult(job_id=JOB, ok=False, error=JobError(status=status, message=message))


def envelope(message: str) -> dict[str, Any]:
    return {"error": {"message": message}, "detail": {"msg": message}}


MASKED = envelope(f"Internal Server Error (request {JOB})")


@pytest.mark.parametrize(
    ("result", "status", "body"),
    [
        pytest.param(
            JobResult(
                job_id=JOB,
                ok=True,
                response={"images": [{"url": f"/stream/{JOB}/0.png", "seed": 1, "nsfw": False}]},
            ),
            200,
            {"images": [{"url": f"{BASE}/stream/{JOB}/0.png", "seed": 1, "nsfw": False}]},
            id="success: media urls on the delivery service",
        ),
        pytest.param(
            failed(400, "orchestrator returned 400: bad prompt"),
            400,
            envelope("orchestrator returned 400: bad prompt"),
            id="orchestrator 4xx is a 400 with its message",
        ),
        pytest.param(
            failed(503, "no orchestrator available for text-to-image/m"),
            503,
            envelope("no orchestrator available for text-to-image/m"),
            id="503 keeps its useful message",
        ),
        pytest.param(failed(500, "Traceback ..."), 500, MASKED, id="500 is masked with the id"),
        pytest.param(failed(502, "upstream x"), 500, MASKED, id="other 5xx are masked as 500"),
        pytest.param(JobResult(job_id=JOB, ok=False), 500, MASKED, id="failure without error"),
        pytest.param(JobResult(job_id=JOB, ok=True), 500, MASKED, id="success without response"),
    ],
)
def test_result_to_http(result: JobResult, status: int, body: dict[str, Any]) -> None:
    reply = reply_for_result(result, BASE)
    assert (reply.status, reply.body) == (status, body)


def test_success_names_the_orchestrator_that_did_the_work() -> None:
    result = JobResult(job_id=JOB, ok=True, response={"images": []}, orchestrator="https://o:8935")
    assert reply_for_result(result, BASE).headers == {"X-Orchestrator-Url": "https://o:8935"}


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        pytest.param(MalformedJson("request body is not valid JSON"), 400, "not valid JSON"),
        pytest.param(NoDefaultModel("llm"), 400, "no default model for llm", id="no model"),
        pytest.param(BodyTooLarge(1024), 413, "larger than 1024 bytes", id="too large"),
        pytest.param(QueueUnavailable(), 503, f"unavailable, retry later (request {JOB})"),
        pytest.param(ResultTimeout(), 504, f"timed out waiting for a result (request {JOB})"),
        pytest.param(
            IntakeError("secret internals"), 500, f"Internal Server Error (request {JOB})"
        ),
    ],
)
def test_intake_error_to_http(error: IntakeError, status: int, message: str) -> None:
    reply = reply_for_error(error, JOB)
    assert reply.status == status
    assert message in reply.body["error"]["message"]
    assert reply.body["detail"] == {"msg": reply.body["error"]["message"]}


def test_schema_violations_list_fields_in_detail() -> None:
    error = InvalidRequest([FieldError(("body", "prompt"), "Field required", "missing")])
    reply = reply_for_error(error, JOB)
    assert reply.status == 422
    assert reply.body == {
        "error": {"message": "body.prompt: Field required"},
        "detail": [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}],
    }


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        pytest.param(
            {"images": [{"url": "/stream/j/0.png"}, {"url": "/stream/j/1.png"}]},
            {"images": [{"url": f"{BASE}/stream/j/0.png"}, {"url": f"{BASE}/stream/j/1.png"}]},
            id="every image",
        ),
        pytest.param(
            {"audio": {"url": "/stream/j/0.wav"}},
            {"audio": {"url": f"{BASE}/stream/j/0.wav"}},
            id="nested media url",
        ),
        pytest.param(
            {"images": [{"url": "https://bucket.example/j/0.png"}]},
            {"images": [{"url": "https://bucket.example/j/0.png"}]},
            id="absolute urls kept",
        ),
        pytest.param(
            {"text": "/stream/j/0.png", "chunks": []},
            {"text": "/stream/j/0.png", "chunks": []},
            id="only url fields are rewritten",
        ),
    ],
)
def test_media_urls_point_at_delivery(response: dict[str, Any], expected: dict[str, Any]) -> None:
    assert rehost_urls(response, BASE + "/") == expected


def test_rehosting_leaves_the_result_untouched() -> None:
    response = {"images": [{"url": "/stream/j/0.png"}]}
    rehost_urls(response, BASE)
    assert response == {"images": [{"url": "/stream/j/0.png"}]}
