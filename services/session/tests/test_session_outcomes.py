"""Outcomes reach the selector in batches: none waits for its own acknowledgement, none lost
while NATS answers, and what NATS refuses is sent with the next batch."""

import time

import pytest
from lpgw.bus import Bus
from lpgw.bus.codec import decode
from lpgw.bus.events import Outcome, Outcomes
from lpgw.session.outcomes import OutcomeReporter

pytestmark = pytest.mark.integration


def _outcome(n: int, workload: str = "ai") -> Outcome:
    return Outcome(
        job_id=f"job{n}",
        workload=workload,  # type: ignore[arg-type]
        pipeline="text-to-image",
        model_id="m",
        orchestrator="https://o:1",
        ok=n % 2 == 0,
        latency_ms=float(n),
    )


async def _published(bus: Bus) -> list[Outcomes]:
    stream = bus.names.outcomes_stream
    state = (await bus.js.stream_info(stream)).state
    batches = []
    for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
        raw = await bus.js.get_msg(stream, seq)
        batches.append(decode(Outcomes, raw.data or b"", raw.headers))
    return batches


async def _next_batch(bus: Bus) -> Outcomes:
    return await bus.wait_for(
        bus.names.outcome("ai"), Outcomes, timeout=5, stream=bus.names.outcomes_stream
    )


async def test_outcomes_added_within_an_interval_travel_as_one_event(bus: Bus) -> None:
    async with OutcomeReporter(bus, interval_s=0.2) as reporter:
        for n in range(5):
            reporter.add([_outcome(n)])
        assert await _published(bus) == [], "nothing leaves before the interval"
        batch = await _next_batch(bus)
    assert batch.outcomes == [_outcome(n) for n in range(5)]
    assert len(await _published(bus)) == 1


async def test_a_full_batch_leaves_before_the_interval(bus: Bus) -> None:
    async with OutcomeReporter(bus, interval_s=3600, max_batch=3) as reporter:
        reporter.add([_outcome(0), _outcome(1), _outcome(2)])
        started = time.monotonic()
        batch = await _next_batch(bus)
        assert time.monotonic() - started < 5
        assert len(batch.outcomes) == 3


async def test_closing_publishes_what_is_waiting(bus: Bus) -> None:
    async with OutcomeReporter(bus, interval_s=3600) as reporter:
        reporter.add([_outcome(7)])
    assert [b.outcomes for b in await _published(bus)] == [[_outcome(7)]]


async def test_each_workload_has_its_own_subject(bus: Bus) -> None:
    async with OutcomeReporter(bus, interval_s=3600) as reporter:
        reporter.add([_outcome(1, "ai"), _outcome(2, "transcode"), _outcome(3, "ai")])
    stream = bus.names.outcomes_stream
    ai = await bus.last_stored(stream, bus.names.outcome("ai"), Outcomes)
    video = await bus.last_stored(stream, bus.names.outcome("transcode"), Outcomes)
    assert ai is not None and [o.job_id for o in ai.outcomes] == ["job1", "job3"]
    assert video is not None and [o.job_id for o in video.outcomes] == ["job2"]


async def test_a_batch_nats_refuses_is_kept_for_the_next_flush(bus: Bus) -> None:
    reporter = OutcomeReporter(bus, interval_s=3600)
    await bus.js.delete_stream(bus.names.outcomes_stream)  # nobody stores the subject now
    reporter.add([_outcome(1)])
    await reporter.flush()
    await bus.declare()
    reporter.add([_outcome(2)])
    await reporter.flush()
    assert [o.job_id for b in await _published(bus) for o in b.outcomes] == ["job1", "job2"]
