"""BYOC `POST /process/request/{route}` (ai-api.md §5.1): the `Livepeer` header read by
`parse_job` (pure), and the route over a real NATS, the test playing the session: the job it
publishes, the container's answer relayed as it comes, and failures as errors with reasons."""

import base64
import json
from typing import Any

import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import AiJob, Bus, ByocSpec, JobError, JobResult
from lpgw.bus.chunks import ChunkSender, Head
from lpgw.intake.byoc.request import MAX_SEARCH_S, MAX_TIMEOUT_S, JobHeaders, parse_job
from lpgw.intake.errors import InvalidJobRequest

NO_TIMEOUT = (
    "Unable to parse job request, err=no timeout_seconds set with request, "
    "timeout_seconds is required"
)


def livepeer(**fields: Any) -> str:
    """A `Livepeer` header: a valid job, with `fields` changed (None: left out)."""
    job = {"request": "{}", "parameters": "{}", "capability": "echo", "timeout_seconds": 30}
    job = {name: value for name, value in (job | fields).items() if value is not None}
    return base64.b64encode(json.dumps(job).encode()).decode()


# parse_job --------------------------------------------------------------------------------------


def test_a_complete_header_becomes_the_job_spec() -> None:
    request = '{ "stream_id":"x",  "n": 1 }'
    parameters = json.dumps(
        {"orchestrators": {"include": ["https://a:8935"], "exclude": ["https://b:8935"]}}
    )
    spec = parse_job(
        "v1/echo",
        JobHeaders(
            livepeer(request=request, parameters=parameters, capability="echo-1", id="j"),
            search_timeout="2s",
            search_response_timeout="250ms",
        ),
        "application/json",
    )
    assert spec == ByocSpec(
        capability="echo-1",
        route="v1/echo",
        request=request,
        parameters=parameters,
        timeout_seconds=30,
        content_type="application/json",
        include=["https://a:8935"],
        exclude=["https://b:8935"],
        search_timeout_s=2.0,
        search_response_timeout_s=0.25,
    )


@pytest.mark.parametrize(
    ("parameters", "kept"),
    [
        pytest.param(None, "{}", id="absent"),
        pytest.param("", "{}", id="empty"),
        pytest.param(
            '{"enable_video_ingress": false}', '{"enable_video_ingress": false}', id="as sent"
        ),
    ],
)
def test_missing_or_empty_parameters_are_an_empty_object(parameters: str | None, kept: str) -> None:
    spec = parse_job("", JobHeaders(livepeer(parameters=parameters)), "")
    assert spec.parameters == kept
    assert (spec.include, spec.exclude) == ([], [])


@pytest.mark.parametrize(
    ("search", "response", "expected"),
    [
        pytest.param(None, None, (1.0, 0.5), id="defaults"),
        pytest.param("2s", "500ms", (2.0, 0.5), id="Go durations"),
        pytest.param("1.5s", "0.1s", (1.5, 0.1), id="fractions"),
        pytest.param("5m", "30s", (MAX_SEARCH_S, MAX_SEARCH_S), id="capped"),
        pytest.param("0s", "-1s", (1.0, 0.5), id="zero or negative: default"),
        pytest.param("soon", "2 s", (1.0, 0.5), id="unreadable: default"),
    ],
)
def test_search_timeouts_are_honoured_within_bounds(
    search: str | None, response: str | None, expected: tuple[float, float]
) -> None:
    spec = parse_job("", JobHeaders(livepeer(), search, response), "")
    assert (spec.search_timeout_s, spec.search_response_timeout_s) == expected


@pytest.mark.parametrize(
    ("route", "header", "message"),
    [
        pytest.param("", None, "the Livepeer header is required", id="no header"),
        pytest.param("", "", "the Livepeer header is required", id="empty header"),
        pytest.param("", "not base64!", "is not base64 of JSON", id="not base64"),
        pytest.param(
            "", base64.b64encode(b"{nope").decode(), "is not base64 of JSON", id="not JSON"
        ),
        pytest.param("", base64.b64encode(b"[]").decode(), "must hold a JSON object", id="array"),
        pytest.param("", livepeer(timeout_seconds=None), NO_TIMEOUT, id="no timeout_seconds"),
        pytest.param("", livepeer(timeout_seconds=0), NO_TIMEOUT, id="timeout_seconds 0"),
        pytest.param("", livepeer(timeout_seconds="30"), NO_TIMEOUT, id="timeout as text"),
        pytest.param("", livepeer(timeout_seconds=True), NO_TIMEOUT, id="timeout as boolean"),
        pytest.param(
            "", livepeer(timeout_seconds=-5), "timeout_seconds must be between", id="negative"
        ),
        pytest.param(
            "",
            livepeer(timeout_seconds=MAX_TIMEOUT_S + 1),
            "timeout_seconds must be between",
            id="over a day",
        ),
        pytest.param("", livepeer(capability=None), "capability is required", id="no capability"),
        pytest.param(
            "", livepeer(capability="a b"), "capability is required", id="capability with a space"
        ),
        pytest.param("", livepeer(request=None), "request must be a JSON object", id="no request"),
        pytest.param(
            "", livepeer(request={"a": 1}), "request must be a JSON object", id="request as object"
        ),
        pytest.param(
            "", livepeer(request="{nope"), "Unable to unmarshal job request", id="request not JSON"
        ),
        pytest.param(
            "", livepeer(request="[1]"), "request must be a JSON object", id="request an array"
        ),
        pytest.param(
            "",
            livepeer(parameters="{nope"),
            "Unable to unmarshal job parameters err=",
            id="parameters not JSON",
        ),
        pytest.param(
            "",
            livepeer(parameters='{"orchestrators": ["https://a"]}'),
            "parameters.orchestrators must be an object",
            id="orchestrators a list",
        ),
        pytest.param(
            "",
            livepeer(parameters='{"orchestrators": {"include": "https://a"}}'),
            "parameters.orchestrators.include must be a list",
            id="include a string",
        ),
        pytest.param("../admin", livepeer(), "invalid route", id="a route that climbs"),
        pytest.param("a/../../b", livepeer(), "invalid route", id="a route that climbs later"),
        pytest.param("a b", livepeer(), "invalid route", id="a route with a space"),
    ],
)
def test_bad_jobs_are_refused_with_the_reason(route: str, header: str | None, message: str) -> None:
    with pytest.raises(InvalidJobRequest) as raised:
        parse_job(route, JobHeaders(header), "")
    assert message in str(raised.value)


# Over HTTP --------------------------------------------------------------------------------------

integration = pytest.mark.integration
JSON_ANSWER = b'{"echo": "hello"}'
WORKER_HEADERS = {
    "Content-Type": "application/json",
    "Livepeer-Balance": "123456",
    "X-Metadata": '{"gpu": "A100"}',
    "X-Orchestrator-Url": "https://o:8935",
}


def result(job: AiJob, sender: ChunkSender | None, ok: bool = True) -> JobResult:
    return JobResult(
        job_id=job.job_id,
        ok=ok,
        response={},
        orchestrator="https://o:8935",
        attempts=1,
        chunks=0 if sender is None else sender.sent,
        delivery=1,
    )


@integration
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, "the Livepeer header is required", id="no header"),
        pytest.param({"Livepeer": "%%%"}, "not base64 of JSON", id="not base64"),
        pytest.param(
            {"Livepeer": livepeer(timeout_seconds=None)}, NO_TIMEOUT, id="no timeout_seconds"
        ),
        pytest.param(
            {"Livepeer": livepeer(request="{")},
            "Unable to unmarshal job request",
            id="bad request JSON",
        ),
        pytest.param(
            {"Livepeer": livepeer(parameters="{")},
            "Unable to unmarshal job parameters",
            id="bad parameters JSON",
        ),
    ],
)
async def test_a_bad_job_header_is_a_400_and_nothing_is_published(
    headers: dict[str, str], message: str, ai_intake: Any, jobs_published: Any
) -> None:
    async with ai_intake() as intake:
        response = await intake.client.post("/process/request/echo", content=b"x", headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert message in body["error"]["message"]
    assert body["detail"] == {"msg": body["error"]["message"]}
    assert await jobs_published() == 0


@integration
async def test_the_job_and_a_json_answer_relayed_with_its_headers(
    ai_intake: Any, play_session: Any, bus: Bus, inputs_store: BlobStore
) -> None:
    async def container(job: AiJob) -> JobResult:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        await sender.start(Head(200, WORKER_HEADERS), JSON_ANSWER[:5])
        await sender.send(JSON_ANSWER[5:])
        return result(job, sender)

    session = await play_session(container)
    request_text = '{"stream_id": "s1",   "extra":[1,2]}'
    parameters = json.dumps({"orchestrators": {"include": ["https://o:8935"]}})
    body = b'{"prompt": "hello"}'
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/process/request/v1/echo",
            content=body,
            headers={
                "Content-Type": "application/json",
                "Livepeer": livepeer(request=request_text, parameters=parameters),
                "Livepeer-Orch-Search-Timeout": "2s",
                "Livepeer-Orch-Search-Resp-Timeout": "1s",
            },
        )
    job = await session.next_job()

    assert response.status_code == 200
    assert response.content == JSON_ANSWER
    assert response.headers["content-type"] == "application/json"
    assert response.headers["livepeer-balance"] == "123456"
    assert response.headers["x-metadata"] == '{"gpu": "A100"}'
    assert response.headers["x-orchestrator-url"] == "https://o:8935"
    assert response.headers["x-request-id"] == job.job_id

    assert (job.pipeline, job.model_id, job.stream, job.account) == (
        "byoc",
        "echo",
        True,
        "anonymous",
    )
    assert job.byoc == ByocSpec(
        capability="echo",
        route="v1/echo",
        request=request_text,
        parameters=parameters,
        timeout_seconds=30,
        content_type="application/json",
        include=["https://o:8935"],
        exclude=[],
        search_timeout_s=2.0,
        search_response_timeout_s=1.0,
    )
    assert job.deadline - job.submitted_at == 30 + 10
    stored = job.inputs["body"]
    assert "." in stored.key
    assert (stored.content_type, stored.size) == ("application/json", len(body))
    assert await inputs_store.get(stored.key) == (body, "application/json")


@integration
async def test_an_empty_body_stores_no_input(ai_intake: Any, play_session: Any, bus: Bus) -> None:
    async def container(job: AiJob) -> JobResult:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        await sender.start(Head(204, {}))
        return result(job, sender)

    session = await play_session(container)
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/process/request/ping", headers={"Livepeer": livepeer()}
        )
    assert response.status_code == 204
    assert (await session.next_job()).inputs == {}


@integration
async def test_an_event_stream_is_relayed_unchanged(
    ai_intake: Any, play_session: Any, bus: Bus
) -> None:
    lines = [b'data: {"n": 1}\n\n', b'data: {"n": 2}\n\n', b'data: {"balance": 99}\n\n']
    lines.append(b"data: [DONE]\n\n")

    async def container(job: AiJob) -> JobResult:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        await sender.start(Head(200, {"Content-Type": "text/event-stream"}))
        for line in lines:
            await sender.send(line)
        return result(job, sender)

    await play_session(container)
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/process/request/stream", content=b"{}", headers={"Livepeer": livepeer()}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == b"".join(lines)


@integration
async def test_a_worker_4xx_is_relayed_as_it_is(
    ai_intake: Any, play_session: Any, bus: Bus
) -> None:
    async def container(job: AiJob) -> JobResult:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        headers = {"Content-Type": "text/plain", "X-Orchestrator-Url": "https://o:8935"}
        await sender.start(Head(422, headers), b"prompt is required\n")
        return result(job, sender, ok=False)

    await play_session(container)
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/process/request/echo", content=b"{}", headers={"Livepeer": livepeer()}
        )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "prompt is required\n"


@integration
async def test_every_orchestrator_failing_is_a_503_with_the_reasons(
    ai_intake: Any, play_session: Any
) -> None:
    reasons = (
        "No orchestrator could run capability echo: https://a:8935: 500: boom; "
        "https://b:8935: unreachable: ClientConnectorError"
    )

    async def nobody(job: AiJob) -> JobResult:
        error = JobError(status=503, message=reasons)
        return JobResult(job_id=job.job_id, ok=False, error=error, chunks=0, delivery=1)

    await play_session(nobody)
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/process/request/echo", content=b"{}", headers={"Livepeer": livepeer()}
        )
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": {"message": reasons}, "detail": {"msg": reasons}}


@integration
async def test_a_body_over_the_limit_is_a_413(ai_intake: Any, jobs_published: Any) -> None:
    async with ai_intake(intake_byoc_max_body_bytes=1024) as intake:
        response = await intake.client.post(
            "/process/request/echo", content=b"x" * 1025, headers={"Livepeer": livepeer()}
        )
    assert response.status_code == 413
    assert await jobs_published() == 0


@integration
async def test_only_post_is_served(ai_intake: Any) -> None:
    async with ai_intake() as intake:
        response = await intake.client.get(
            "/process/request/echo", headers={"Livepeer": livepeer()}
        )
    assert response.status_code == 405
