"""The intake API end to end over a real NATS: the test plays the session's part."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from lpgw.bus import AiJob, Bus, JobError, JobResult, Received
from lpgw.intake.app import create_app
from lpgw.intake.settings import IntakeSettings
from lpgw.pipelines import by_path

pytestmark = pytest.mark.integration

MEDIA_BASE = "https://media.example"
LIMIT = by_path("/text-to-image").max_request_bytes
Respond = Callable[[AiJob], JobResult]


def settings_for(nats_url: str, prefix: str, **overrides: object) -> IntakeSettings:
    values: dict[str, object] = {
        "nats_url": nats_url,
        "bus_prefix": prefix,
        "intake_media_base_url": MEDIA_BASE,
        "intake_request_timeout_s": 10.0,
        "intake_rtmp_port": 0,
        "intake_ai_auth": "none",
        **overrides,
    }
    return IntakeSettings.model_validate(values)


@asynccontextmanager
async def intake(settings: IntakeSettings) -> AsyncIterator[tuple[httpx.AsyncClient, Bus]]:
    """The app with its lifespan running (its own bus connection), and a client for it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client, app.state.bus


async def play_session(bus: Bus, respond: Respond) -> asyncio.Queue[AiJob]:
    """Consume jobs as the session does and publish `respond(job)` as each one's result."""
    jobs: asyncio.Queue[AiJob] = asyncio.Queue()

    async def handle(job: AiJob, delivery: Received) -> None:
        await jobs.put(job)
        await bus.publish(bus.names.result(job.inbox, job.job_id), respond(job), msg_id=job.job_id)

    await bus.consume(
        stream=bus.names.jobs_stream,
        durable=bus.names.session_consumer,
        filter_subject=bus.names.ai_jobs,
        model=AiJob,
        handler=handle,
    )
    return jobs


def two_images(job: AiJob) -> JobResult:
    images = [{"url": f"/stream/{job.job_id}/{n}.png", "seed": n, "nsfw": False} for n in (0, 1)]
    return JobResult(job_id=job.job_id, ok=True, response={"images": images}, attempts=1)


def unavailable(job: AiJob) -> JobResult:
    message = f"no orchestrator available for {job.pipeline}/{job.model_id}"
    return JobResult(job_id=job.job_id, ok=False, error=JobError(status=503, message=message))


def crashed(job: AiJob) -> JobResult:
    error = JobError(status=500, message="KeyError: 'images' in session.py line 12")
    return JobResult(job_id=job.job_id, ok=False, error=error)


async def test_result_images_point_at_delivery(bus: Bus, nats_url: str, prefix: str) -> None:
    jobs = await play_session(bus, two_images)
    async with intake(settings_for(nats_url, prefix)) as (client, _):
        response = await client.post(
            "/text-to-image", json={"prompt": "a cat", "num_images_per_prompt": 2, "extra": 1}
        )
    job = jobs.get_nowait()
    assert response.status_code == 200
    assert response.headers["x-request-id"] == job.job_id
    assert response.json() == {
        "images": [
            {"url": f"{MEDIA_BASE}/stream/{job.job_id}/{n}.png", "seed": n, "nsfw": False}
            for n in (0, 1)
        ]
    }
    assert job.model_id == "stabilityai/sdxl-turbo"
    assert job.request == {
        "model_id": "stabilityai/sdxl-turbo",
        "loras": "",
        "prompt": "a cat",
        "height": 512,
        "width": 512,
        "guidance_scale": 7.5,
        "negative_prompt": "",
        "safety_check": True,
        "num_inference_steps": 50,
        "num_images_per_prompt": 2,
    }


async def test_empty_model_uses_the_configured_default(
    bus: Bus, nats_url: str, prefix: str
) -> None:
    jobs = await play_session(bus, two_images)
    settings = settings_for(nats_url, prefix, intake_default_models={"text-to-image": "my/sd"})
    async with intake(settings) as (client, _):
        response = await client.post("/text-to-image", json={"prompt": "a", "model_id": ""})
    assert response.status_code == 200
    assert jobs.get_nowait().request["model_id"] == "my/sd"


@pytest.mark.parametrize(
    ("respond", "status", "message"),
    [
        pytest.param(
            unavailable,
            503,
            "no orchestrator available for text-to-image/stabilityai/sdxl-turbo",
            id="no orchestrator: 503 with a useful message",
        ),
        pytest.param(crashed, 500, "Internal Server Error (request {job_id})", id="500 masked"),
    ],
)
async def test_job_errors_become_http_errors(
    bus: Bus, nats_url: str, prefix: str, respond: Respond, status: int, message: str
) -> None:
    await play_session(bus, respond)
    async with intake(settings_for(nats_url, prefix)) as (client, _):
        response = await client.post("/text-to-image", json={"prompt": "a cat"})
    expected = message.format(job_id=response.headers["x-request-id"])
    assert response.status_code == status
    assert response.json() == {"error": {"message": expected}, "detail": {"msg": expected}}


async def test_no_result_in_time_is_a_504(nats_url: str, prefix: str, bus: Bus) -> None:
    async with intake(settings_for(nats_url, prefix, intake_request_timeout_s=0.5)) as (client, _):
        response = await client.post("/text-to-image", json={"prompt": "a cat"})
    job_id = response.headers["x-request-id"]
    assert response.status_code == 504
    assert response.json()["error"]["message"] == (
        f"timed out waiting for a result (request {job_id})"
    )
    stored = await bus.js.get_last_msg(bus.names.jobs_stream, bus.names.ai_job("text-to-image"))
    assert json.loads(stored.data or b"{}")["job_id"] == job_id


async def test_bus_down_is_a_503(nats_url: str, prefix: str, bus: Bus) -> None:
    async with intake(settings_for(nats_url, prefix)) as (client, intake_bus):
        await intake_bus.close()
        response = await client.post("/text-to-image", json={"prompt": "a cat"})
        ready = await client.get("/readyz")
    assert response.status_code == 503
    assert "job queue unavailable" in response.json()["detail"]["msg"]
    assert ready.status_code == 503


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        pytest.param(b'{"prompt": ', 400, "not valid JSON", id="malformed json"),
        pytest.param(b'{"height": 512}', 422, "body.prompt: Field required", id="missing prompt"),
        pytest.param(b'{"prompt": "a", "width": 500}', 422, "body.width", id="odd width"),
        pytest.param(
            json.dumps({"prompt": "x" * LIMIT}).encode(),
            413,
            f"larger than {LIMIT} bytes",
            id="huge body",
        ),
    ],
)
async def test_bad_requests_never_reach_the_bus(
    bus: Bus, nats_url: str, prefix: str, content: bytes, status: int, message: str
) -> None:
    async with intake(settings_for(nats_url, prefix)) as (client, _):
        response = await client.post(
            "/text-to-image", content=content, headers={"content-type": "application/json"}
        )
    assert response.status_code == status
    assert message in response.json()["error"]["message"]
    assert "x-request-id" in response.headers
    info = await bus.js.stream_info(bus.names.jobs_stream)
    assert info.state.messages == 0


async def test_streamed_body_is_cut_at_the_limit(nats_url: str, prefix: str, bus: Bus) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"prompt": "'
        for _ in range(LIMIT // 65536 + 1):
            yield b"x" * 65536

    async with intake(settings_for(nats_url, prefix)) as (client, _):
        response = await client.post("/text-to-image", content=chunks())
    assert response.status_code == 413
    info = await bus.js.stream_info(bus.names.jobs_stream)
    assert info.state.messages == 0


async def test_schema_violations_list_the_fields(nats_url: str, prefix: str, bus: Bus) -> None:
    async with intake(settings_for(nats_url, prefix)) as (client, _):
        response = await client.post("/text-to-image", json={"height": 4096})
    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [
        ["body", "prompt"],
        ["body", "height"],
    ]


async def test_health_readiness_and_metrics(
    nats_url: str, redis_url: str, prefix: str, bus: Bus
) -> None:
    async with intake(settings_for(nats_url, prefix, redis_url=redis_url)) as (client, _):
        await client.post("/text-to-image", content=b"nope")
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
        unknown = await client.get("/nowhere")
    assert health.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"nats": "ok", "redis": "ok", "rtmp": "ok"}}
    assert 'lpgw_intake_requests_total{pipeline="text-to-image",status="400"}' in metrics.text
    assert unknown.status_code == 404
    assert unknown.json() == {"error": {"message": "Not Found"}, "detail": {"msg": "Not Found"}}
