"""Full orchestrators: a 503 `insufficient capacity` costs no attempt and no mark against the
orchestrator, and a job gives up after `max_busy` of them.

`full` is a devnet with one slot per (pipeline, model) that holds it HOLD_MS per job, so of two
jobs sent to it at once one is served and the other finds it full; `devnet` (conftest) has
room. The selector is a stub responder; outcomes are read back from the OUTCOMES stream.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest
from lpgw.bus.events import AiJob, JobResult, Outcome
from lpgw.devnet.launcher import RunningDevnet, start_devnet
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.keepalive import Progress

pytestmark = pytest.mark.integration

MODEL = "stabilityai/sdxl-turbo"
HOLD_MS = 800

# conftest's fixtures
MakeRunner = Callable[..., JobRunner]
PublishedOutcomes = Callable[[], Awaitable[list[Outcome]]]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """One job at a time, each holding its slot HOLD_MS."""
    flags = ("--no-payments", "--capacity", "1", "--latency-ms", str(HOLD_MS))
    started = start_devnet(flags, tmp_path_factory.mktemp("full") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


def limits(max_busy: int) -> JobLimits:
    return JobLimits(max_attempts=3, keepalive_s=1, max_busy=max_busy)


TwoAtOnce = Callable[[JobRunner], Awaitable[dict[str, JobResult]]]


@pytest.fixture
def two_at_once(
    t2i_job: Callable[..., AiJob],
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> TwoAtOnce:
    """two_at_once(runner): two 64×64 jobs sent together (of which `full` can serve one);
    their results by job id."""

    async def send(runner: JobRunner) -> dict[str, JobResult]:
        jobs = [t2i_job(j, deadline_s=30, height=64) for j in ("b1", "b2")]
        await asyncio.gather(*(runner.handle(job, delivery()) for job in jobs))
        return {j: await result_of(j) for j in ("b1", "b2")}

    return send


async def test_a_full_orchestrator_costs_no_attempt_and_the_job_runs_elsewhere(
    make_runner: MakeRunner,
    two_at_once: TwoAtOnce,
    full: RunningDevnet,
    devnet: RunningDevnet,
    offered: list[str],
    published_outcomes: PublishedOutcomes,
) -> None:
    offered[:] = [full.url, devnet.url]

    results = await two_at_once(make_runner(limits=limits(8)))

    assert all(r.ok and r.attempts == 1 for r in results.values()), results
    by_orchestrator = {r.orchestrator: j for j, r in results.items()}
    assert set(by_orchestrator) == {full.url, devnet.url}, "one on each"
    moved = by_orchestrator[devnet.url]
    outcomes = await published_outcomes()
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
    two_at_once: TwoAtOnce,
    full: RunningDevnet,
    devnet: RunningDevnet,
    offered: list[str],
    published_outcomes: PublishedOutcomes,
    max_busy: int,
    with_room: bool,
) -> None:
    # the same full orchestrator under two names (a trailing slash), then one with room
    offered[:] = [full.url, full.url + "/", *([devnet.url] if with_room else [])]

    results = await two_at_once(make_runner(limits=limits(max_busy)))

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
    outcomes = await published_outcomes()
    assert [(o.orchestrator, o.error_kind, o.counts) for o in outcomes if o.job_id == refused] == [
        (full.url, "busy", False),
        (full.url + "/", "busy", False),
    ], "the orchestrator with room is not tried"
