"""Request/reply between services: answers, and the errors a requester can see."""

import asyncio

import pytest
from lpgw.bus import Bus, BusTimeout, Candidate, NoResponders, SelectionReply, SelectionRequest
from lpgw.bus.errors import RemoteError


def selection() -> SelectionRequest:
    return SelectionRequest(capability=27, pipeline="text-to-image", model_id="m", limit=2)


CANDIDATE = Candidate(
    url="https://127.0.0.1:8950",
    address="0x" + "11" * 20,
    price_per_unit=1,
    pixels_per_unit=1,
    latency_ms=3.5,
    score=1.0,
)


async def test_request_gets_the_served_reply(bus: Bus) -> None:
    async def select(request: SelectionRequest) -> SelectionReply:
        return SelectionReply(candidates=[CANDIDATE] * request.limit)

    await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, select)
    reply = await bus.request(bus.names.select, selection(), SelectionReply, timeout=2.0)
    assert reply.candidates == [CANDIDATE, CANDIDATE]


async def test_slow_responder_times_out(bus: Bus) -> None:
    async def stall(request: SelectionRequest) -> SelectionReply:
        await asyncio.sleep(2.0)
        return SelectionReply(candidates=[])

    await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, stall)
    with pytest.raises(BusTimeout):
        await bus.request(bus.names.select, selection(), SelectionReply, timeout=0.3)


async def test_nobody_serving_is_no_responders(bus: Bus) -> None:
    with pytest.raises(NoResponders):
        await bus.request(bus.names.select, selection(), SelectionReply, timeout=2.0)


async def test_failing_responder_is_a_remote_error_not_a_timeout(bus: Bus) -> None:
    async def crash(request: SelectionRequest) -> SelectionReply:
        raise RuntimeError("redis is down")

    await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, crash)
    with pytest.raises(RemoteError):
        await bus.request(bus.names.select, selection(), SelectionReply, timeout=2.0)


async def test_requests_are_answered_concurrently(bus: Bus) -> None:
    async def slow(request: SelectionRequest) -> SelectionReply:
        await asyncio.sleep(0.5)
        return SelectionReply(candidates=[])

    await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, slow)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(
        *(bus.request(bus.names.select, selection(), SelectionReply, timeout=2.0) for n in range(5))
    )
    assert loop.time() - started < 1.5
