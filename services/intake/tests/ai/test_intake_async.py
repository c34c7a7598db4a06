"""image-to-video's asynchronous mode over a real NATS and Valkey: 202 with a request id, then
`/image-to-video/result` answers "processing" until the session stores the job's result
(`names.result("async", job_id)`), then the video or the failure's message."""

from typing import Any

import httpx
import pytest
from lpgw.bus import AiJob, Bus, JobError, JobResult

pytestmark = pytest.mark.integration

MEDIA_BASE = "https://media.example"
RESULT = "/image-to-video/result"
PROCESSING = {"status": "processing"}


async def later(job: AiJob) -> None:
    """The session takes the job; the test stores its result when it chooses."""
    return None


def video(job_id: str, base: str = "") -> dict[str, Any]:
    return {"images": [{"url": f"{base}/stream/{job_id}/out.mp4", "seed": 3, "nsfw": False}]}


async def submit(client: httpx.AsyncClient, samples: Any, prefer: str) -> httpx.Response:
    return await client.post(
        "/image-to-video",
        data={"width": "512", "height": "512"},
        files={"image": ("in.png", samples.png(32, 32), "image/png")},
        headers={"Prefer": prefer},
    )


async def poll(client: httpx.AsyncClient, request_id: str) -> list[httpx.Response]:
    """The same question by GET and by POST (what the reference accepts)."""
    return [
        await client.get(RESULT, params={"request_id": request_id}),
        await client.post(RESULT, json={"request_id": request_id}),
    ]


async def store_result(bus: Bus, result: JobResult) -> None:
    await bus.publish(bus.names.result("async", result.job_id), result, msg_id=result.job_id)


@pytest.mark.parametrize("prefer", ["respond-async", "wait=5, Respond-Async"])
async def test_accepted_then_processing_then_complete(
    prefer: str, ai_intake: Any, play_session: Any, bus: Bus, samples: Any
) -> None:
    session = await play_session(later)
    async with ai_intake() as intake:
        accepted = await submit(intake.client, samples, prefer)
        job = await session.next_job()
        waiting = await poll(intake.client, job.job_id)
        await store_result(
            bus, JobResult(job_id=job.job_id, ok=True, response=video(job.job_id), attempts=1)
        )
        done = await poll(intake.client, job.job_id)

    assert accepted.status_code == 202
    assert accepted.json() == {"request_id": job.job_id}
    assert accepted.headers["x-request-id"] == job.job_id
    assert job.inbox == "async"
    assert job.units == 512 * 512 * 25
    assert [(r.status_code, r.json()) for r in waiting] == [(202, PROCESSING)] * 2
    complete = {"status": "complete", "result": video(job.job_id, MEDIA_BASE)}
    assert [(r.status_code, r.json()) for r in done] == [(200, complete)] * 2


@pytest.mark.parametrize(
    ("error", "message"),
    [
        pytest.param(
            JobError(status=400, message="orchestrator returned 400: image too small"),
            "orchestrator returned 400: image too small",
            id="a 4xx keeps its message",
        ),
        pytest.param(
            JobError(status=503, message="no orchestrator available for image-to-video/svd"),
            "no orchestrator available for image-to-video/svd",
            id="a 503 keeps its message",
        ),
        pytest.param(
            JobError(status=500, message="Traceback (most recent call last): ..."),
            "Internal Server Error",
            id="a 500 is masked",
        ),
    ],
)
async def test_a_failed_job_completes_with_its_error(
    error: JobError, message: str, ai_intake: Any, play_session: Any, bus: Bus, samples: Any
) -> None:
    session = await play_session(later)
    async with ai_intake() as intake:
        await submit(intake.client, samples, "respond-async")
        job = await session.next_job()
        await store_result(bus, JobResult(job_id=job.job_id, ok=False, error=error))
        polled = await poll(intake.client, job.job_id)
    complete = {"status": "complete", "result": {"error": {"message": message}}}
    assert [(r.status_code, r.json()) for r in polled] == [(200, complete)] * 2


async def test_any_replica_answers_the_poll(
    ai_intake: Any, play_session: Any, bus: Bus, samples: Any
) -> None:
    session = await play_session(later)
    async with ai_intake() as one, ai_intake() as other:
        accepted = await submit(one.client, samples, "respond-async")
        job = await session.next_job()
        await store_result(bus, JobResult(job_id=job.job_id, ok=True, response=video(job.job_id)))
        polled = await other.client.get(
            RESULT, params={"request_id": accepted.json()["request_id"]}
        )
    assert polled.status_code == 200
    assert polled.json()["status"] == "complete"


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "message"),
    [
        pytest.param(
            "GET",
            {"params": {"request_id": "0123456789abcdef"}},
            400,
            "invalid request ID",
            id="GET an unknown id",
        ),
        pytest.param(
            "POST",
            {"json": {"request_id": "0123456789abcdef"}},
            400,
            "invalid request ID",
            id="POST an unknown id",
        ),
        pytest.param("GET", {}, 422, "request_id", id="GET without an id"),
        pytest.param("POST", {"json": {"request_id": ""}}, 422, "request_id", id="an empty id"),
        pytest.param("POST", {"content": b"{nope"}, 400, "JSON", id="a body that is not JSON"),
    ],
)
async def test_polls_that_name_no_job(
    method: str, kwargs: dict[str, Any], status: int, message: str, ai_intake: Any
) -> None:
    async with ai_intake() as intake:
        response = await intake.client.request(method, RESULT, **kwargs)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]
    if status == 400:
        body = response.json()
        assert body["detail"] == {"msg": body["error"]["message"]}


async def test_a_synchronous_request_is_not_pollable(
    ai_intake: Any, play_session: Any, samples: Any
) -> None:
    async def answer(job: AiJob) -> JobResult:
        return JobResult(job_id=job.job_id, ok=True, response=video(job.job_id))

    session = await play_session(answer)
    async with ai_intake() as intake:
        response = await submit(intake.client, samples, "")
        job = await session.next_job()
        polled = await intake.client.get(RESULT, params={"request_id": job.job_id})
    assert response.status_code == 200
    assert response.json() == video(job.job_id, MEDIA_BASE)
    assert job.inbox != "async"
    assert polled.status_code == 400


async def test_only_image_to_video_has_an_asynchronous_mode(
    ai_intake: Any, play_session: Any
) -> None:
    async def answer(job: AiJob) -> JobResult:
        return JobResult(job_id=job.job_id, ok=True, response={"images": []})

    session = await play_session(answer)
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/text-to-image", json={"prompt": "a"}, headers={"Prefer": "respond-async"}
        )
    assert response.status_code == 200
    assert response.json() == {"images": []}
    assert (await session.next_job()).inbox != "async"
