"""Injected failures, added latency and capacity limits of a deliberately poor devnet."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import httpx
import pytest
from lpgw.devnet.launcher import RunningDevnet
from lpgw.wire.capabilities import Capability
from lpgw.wire.headers import AI_WORKER_AUTHORIZATION, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb

TURBO = "stabilityai/sdxl-turbo"
GetOrchestrator = Callable[..., Awaitable[pb.OrchestratorInfo]]
BODY = {"model_id": TURBO, "prompt": "x", "width": 32, "height": 32}


@pytest.fixture
async def get_orchestrator(poor: RunningDevnet) -> AsyncIterator[GetOrchestrator]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{poor.port}") as channel:
        yield channel.unary_unary(
            "/net.Orchestrator/GetOrchestrator",
            request_serializer=pb.OrchestratorRequest.SerializeToString,
            response_deserializer=pb.OrchestratorInfo.FromString,
        )


async def headers(get_orchestrator: GetOrchestrator) -> dict[str, str]:
    info = await get_orchestrator(pb.OrchestratorRequest(), timeout=5)
    return {
        "Livepeer-Segment": encode_segment(pb.SegData(auth_token=info.auth_token)),
        "Authorization": AI_WORKER_AUTHORIZATION,
    }


async def test_failure_rate_one_fails_every_job(
    poor: RunningDevnet, get_orchestrator: GetOrchestrator
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{poor.url}/text-to-image", json=BODY, headers=await headers(get_orchestrator)
        )

    assert response.status_code == 500
    assert response.text == "devnet injected failure\n"


async def test_a_job_over_capacity_is_refused_while_the_slot_is_busy(
    poor: RunningDevnet, get_orchestrator: GetOrchestrator
) -> None:
    sent = await headers(get_orchestrator)
    async with httpx.AsyncClient(timeout=10) as http:
        first = asyncio.create_task(http.post(f"{poor.url}/text-to-image", json=BODY, headers=sent))
        await asyncio.sleep(0.2)
        busy = await get_orchestrator(pb.OrchestratorRequest(), timeout=5)
        second = await http.post(f"{poor.url}/text-to-image", json=BODY, headers=sent)
        await first

    models = busy.capabilities.constraints.PerCapability[Capability.TEXT_TO_IMAGE].models
    assert models[TURBO].capacity == 0
    assert (second.status_code, second.text) == (503, "insufficient capacity\n")
