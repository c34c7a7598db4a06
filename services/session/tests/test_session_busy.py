"""Full orchestrators: a 503 `insufficient capacity` costs no attempt and no mark against the
orchestrator, and a job gives up after `max_busy` of them.

`full` is a devnet with one slot per (pipeline, model) that holds it HOLD_MS per job, so of two
jobs sent to it at once one is served and the other finds it full; `devnet` (conftest) has
room. The selector is a stub responder; outcomes are read back from the OUTCOMES stream.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.bus.codec import decode
from lpgw.bus.events import (
    AiJob,
    Candidate,
    JobResult,
    Outcome,
    Outcomes,
    SelectionReply,
    SelectionRequest,
)
from lpgw.devnet.launcher import RunningDevnet, start_devnet
from lpgw.session.ai_worker import AiWorker, new_http_client
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.session.outcomes import OutcomeReporter
from lpgw.session.paid_attempt import PaidAttempt
from lpgw.session.payments import OffChainPayments
from lpgw.signer_client import OFF_CHAIN
from lpgw.wire.client import OrchestratorClient

pytestmark = pytest.mark.integration

MODEL = "stabilityai/sdxl-turbo"
INBOX = "intake3"
HOLD_MS = 800


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """One job at a time, each holding its slot HOLD_MS."""
    flags = ("--no-payments", "--capacity", "1", "--latency-ms", str(HOLD_MS))
    started = start_devnet(flags, tmp_path_factory.mktemp("full") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


def t2i_job(job_id: str) -> AiJob:
    now = time.time()
    return AiJob(
        inbox=INBOX,
        job_id=job_id,
        pipeline="text-to-image",
        model_id=MODEL,
        request={"prompt": "a lighthouse", "width": 64, "height": 64, "model_id": MODEL},
        units=64 * 64,
        submitted_at=now,
        deadline=now + 30,
    )


class Delivery:
    attempt = 1

    async def in_progress(self) -> None:
        return None


@pytest.fixture
async def offered(bus: Bus) -> AsyncIterator[list[str]]:
    """The URLs the stub selector offers, in order (set in place)."""
    urls: list[str] = []

    async def answer(request: SelectionRequest) -> SelectionReply:
        chosen = [u for u in urls if u not in request.exclude][: request.limit]
        return SelectionReply(
            candidates=[
                Candidate(
                    url=u, address="", price_per_unit=0, pixels_per_unit=1, latency_ms=1, score=1
                )
                for u in chosen
            ]
        )

    sub = await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, answer)
    try:
        yield urls
    finally:
        await sub.unsubscribe()


@pytest.fixture
async def reporter(bus: Bus) -> AsyncIterator[OutcomeReporter]:
    """Publishes outcomes when `published_outcomes` flushes it."""
    async with OutcomeReporter(bus, interval_s=3600) as started:
        yield started


MakeRunner = Callable[[int], JobRunner]


@pytest.fixture
async def make_runner(bus: Bus, reporter: OutcomeReporter) -> AsyncIterator[MakeRunner]:
    """make_runner(max_busy): a job runner with that limit (one connection pool for all)."""
    async with new_http_client() as http:
        media = await BlobStore.open(bus.nc, bus.names, ttl_s=600)

        def make(max_busy: int) -> JobRunner:
            return JobRunner(
                bus=bus,
                attempt=PaidAttempt(
                    infos=OrchestratorInfos(OrchestratorClient(), OFF_CHAIN),
                    payments=OffChainPayments(),
                    worker=AiWorker(http, max_response_bytes=1 << 20),
                    media=media,
                    attempt_timeout_s=20,
                ),
                inputs=media,
                outcomes=reporter,
                limits=JobLimits(max_attempts=3, keepalive_s=1, max_busy=max_busy),
            )

        yield make


async def result_of(bus: Bus, job_id: str) -> JobResult:
    return await bus.wait_for(
        bus.names.result(INBOX, job_id), JobResult, timeout=5, stream=bus.names.results_stream
    )


async def published_outcomes(bus: Bus, reporter: OutcomeReporter) -> list[Outcome]:
    """Every Outcome in the OUTCOMES stream, in order."""
    await reporter.flush()
    stream = bus.names.outcomes_stream
    state = (await bus.js.stream_info(stream)).state
    found: list[Outcome] = []
    if not state.messages:
        return found
    for seq in range(state.first_seq, state.last_seq + 1):
        raw = await bus.js.get_msg(stream, seq)
        found.extend(decode(Outcomes, raw.data or b"", raw.headers).outcomes)
    return found


async def two_at_once(runner: JobRunner, bus: Bus) -> dict[str, JobResult]:
    """Two jobs sent together (of which `full` can serve one); their results by job id."""
    await asyncio.gather(*(runner.handle(t2i_job(j), Delivery()) for j in ("b1", "b2")))
    return {j: await result_of(bus, j) for j in ("b1", "b2")}


async def test_a_full_orchestrator_costs_no_attempt_and_the_job_runs_elsewhere(
    make_runner: MakeRunner,
    bus: Bus,
    full: RunningDevnet,
    devnet: RunningDevnet,
    offered: list[str],
    reporter: OutcomeReporter,
) -> None:
    offered[:] = [full.url, devnet.url]

    results = await two_at_once(make_runner(8), bus)

    assert all(r.ok and r.attempts == 1 for r in results.values()), results
    by_orchestrator = {r.orchestrator: j for j, r in results.items()}
    assert set(by_orchestrator) == {full.url, devnet.url}, "one on each"
    moved = by_orchestrator[devnet.url]
    outcomes = await published_outcomes(bus, reporter)
    assert sorted((o.job_id, o.orchestrator, o.ok, o.error_kind, o.counts) for o in outcomes) == (
        sorted(
            [
                (by_orchestrator[full.url], full.url, True, None, True),
                (moved, full.url, False, "busy", False),
                (moved, devnet.url, True, None, True),
            ]
        )
    )


@pytest.mark.parametrize(
    ("max_busy", "with_room"),
    [
        pytest.param(2, True, id="gives up after max_busy full ones, though one has room"),
        pytest.param(8, False, id="every orchestrator full"),
    ],
)
async def test_a_job_that_finds_only_full_orchestrators_is_a_503(
    make_runner: MakeRunner,
    bus: Bus,
    full: RunningDevnet,
    devnet: RunningDevnet,
    offered: list[str],
    reporter: OutcomeReporter,
    max_busy: int,
    with_room: bool,
) -> None:
    # the same full orchestrator under two names (a trailing slash), then one with room
    offered[:] = [full.url, full.url + "/", *([devnet.url] if with_room else [])]

    results = await two_at_once(make_runner(max_busy), bus)

    [served] = [j for j, r in results.items() if r.ok]
    [refused] = [j for j, r in results.items() if not r.ok]
    assert results[served].orchestrator == full.url
    error = results[refused].error
    assert error is not None
    assert (error.status, error.message) == (
        503,
        f"no orchestrator available for text-to-image/{MODEL}",
    )
    assert results[refused].attempts == 0
    outcomes = await published_outcomes(bus, reporter)
    assert [(o.orchestrator, o.error_kind, o.counts) for o in outcomes if o.job_id == refused] == [
        (full.url, "busy", False),
        (full.url + "/", "busy", False),
    ], "the orchestrator with room is not tried"
