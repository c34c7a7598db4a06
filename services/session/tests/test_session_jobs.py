"""The job handler against real NATS, Valkey, the blob store and devnet orchestrators.

The selector is stood in for by a responder on the `select` subject that answers a fixed list
(services do not import each other); the handler is called directly, as the consumer would.
"""

import socket
import time
from collections.abc import Awaitable, Callable

import pytest
from lpgw.blobs import BlobStore
from lpgw.bus.events import AiJob, JobResult, Outcome, SelectionRequest
from lpgw.devnet.launcher import RunningDevnet
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.keepalive import Progress

pytestmark = pytest.mark.integration

MODEL = "stabilityai/sdxl-turbo"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# conftest's fixtures
Job = Callable[..., AiJob]
Deliver = Callable[..., Progress]
ResultOf = Callable[[str], Awaitable[JobResult]]


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def runner(make_runner: Callable[..., JobRunner]) -> JobRunner:
    return make_runner(limits=JobLimits(max_attempts=3, keepalive_s=0.05), media_timeout_s=4)


async def test_a_job_produces_a_png_blob_and_a_rewritten_response(
    runner: JobRunner,
    media: BlobStore,
    devnet: RunningDevnet,
    offered: list[str],
    selection_requests: list[SelectionRequest],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: Callable[[], Awaitable[list[Outcome]]],
) -> None:
    offered[:] = [devnet.url]
    asked = selection_requests

    await runner.handle(t2i_job("job1", num_images_per_prompt=2), delivery())

    result = await result_of("job1")
    assert result.ok and result.error is None
    assert result.orchestrator == devnet.url
    assert result.attempts == 1
    assert result.response is not None
    images = result.response["images"]
    assert [i["url"] for i in images] == ["/stream/job1/0.png", "/stream/job1/1.png"]
    assert all("seed" in i and "nsfw" in i for i in images)
    assert [m.key for m in result.media] == ["job1/0.png", "job1/1.png"]
    data, content_type = await media.get("job1/0.png")
    assert data.startswith(PNG_MAGIC)
    assert content_type == "image/png"
    (outcome,) = await published_outcomes()
    assert outcome.ok and outcome.orchestrator == devnet.url
    assert asked[0].capability == 27 and asked[0].model_id == MODEL

    await runner.handle(t2i_job("job1"), delivery(attempt=2))
    assert len(asked) == 1, "a finished job delivered again is not worked again"


async def test_failover_to_the_next_orchestrator(
    runner: JobRunner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    dead = _closed_port_url()
    offered[:] = [dead, failing_devnet.url, devnet.url]

    await runner.handle(t2i_job("job2"), delivery())

    result = await result_of("job2")
    assert result.ok
    assert result.attempts == 3
    assert result.orchestrator == devnet.url


async def test_no_orchestrator_is_a_503(
    runner: JobRunner, offered: list[str], t2i_job: Job, delivery: Deliver, result_of: ResultOf
) -> None:
    offered[:] = []

    await runner.handle(t2i_job("job3"), delivery())

    result = await result_of("job3")
    assert not result.ok and result.error is not None
    assert result.error.status == 503
    assert result.error.message == f"no orchestrator available for text-to-image/{MODEL}"


async def test_attempts_run_out_is_a_503(
    runner: JobRunner,
    failing_devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    offered[:] = [_closed_port_url(), failing_devnet.url]

    await runner.handle(t2i_job("job4"), delivery())

    result = await result_of("job4")
    assert result.error is not None and result.error.status == 503
    assert result.attempts == 2


async def test_a_bad_request_stops_at_the_first_orchestrator(
    runner: JobRunner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    offered[:] = [devnet.url, devnet.url + "/"]

    await runner.handle(t2i_job("job5", width=100000), delivery())

    result = await result_of("job5")
    assert result.error is not None and result.error.status == 400
    assert "width" in result.error.message
    assert result.attempts == 1


async def test_a_job_past_its_deadline_is_not_worked(
    runner: JobRunner,
    devnet: RunningDevnet,
    offered: list[str],
    selection_requests: list[SelectionRequest],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    offered[:] = [devnet.url]
    job = t2i_job("job6").model_copy(update={"deadline": time.time() - 1})

    await runner.handle(job, delivery())

    result = await result_of("job6")
    assert result.error is not None and result.error.status == 504
    assert selection_requests == []
