"""Waiting for a job's result: found whether it was published before or after the wait began."""

import asyncio

import pytest
from lpgw.bus import Bus, BusTimeout, JobResult


def result(job_id: str) -> JobResult:
    return JobResult(job_id=job_id, ok=True, response={"images": []}, attempts=1)


async def test_result_published_before_the_wait_is_found(bus: Bus) -> None:
    names = bus.names
    await bus.publish(names.result("intake1", "early"), result("early"), msg_id="early")
    got = await bus.wait_for(
        names.result("intake1", "early"), JobResult, timeout=2.0, stream=names.results_stream
    )
    assert got == result("early")


async def test_result_published_during_the_wait_is_found(bus: Bus) -> None:
    names = bus.names
    waiting = asyncio.create_task(
        bus.wait_for(
            names.result("intake1", "late"), JobResult, timeout=5.0, stream=names.results_stream
        )
    )
    await asyncio.sleep(0.3)
    assert not waiting.done()
    await bus.publish(names.result("intake1", "late"), result("late"))
    assert await asyncio.wait_for(waiting, 5) == result("late")


async def test_other_jobs_results_are_ignored(bus: Bus) -> None:
    names = bus.names
    await bus.publish(names.result("intake1", "other"), result("other"))
    with pytest.raises(BusTimeout):
        await bus.wait_for(
            names.result("intake1", "mine"), JobResult, timeout=0.5, stream=names.results_stream
        )
