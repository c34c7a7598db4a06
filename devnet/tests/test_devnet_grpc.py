"""GetOrchestrator, Ping and EndTranscodingSession as a real grpcio client sees them."""

import re
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
import pytest
from google.protobuf.message import Message
from lpgw.devnet.launcher import RunningDevnet
from lpgw.eth import recover_sign, to_checksum
from lpgw.pipelines import PIPELINES
from lpgw.wire.capabilities import (
    DEFAULT_CAPABILITIES,
    Capability,
    ai_discovery_capabilities,
    decode_bitstring,
)
from lpgw.wire.net import lp_rpc_pb2 as pb

TURBO = "stabilityai/sdxl-turbo"
LIGHTNING = "ByteDance/SDXL-Lightning"
Reply = TypeVar("Reply", bound=Message)


def orchestrator_call(
    channel: grpc.aio.Channel, method: str, response: type[Reply]
) -> Callable[..., Awaitable[Reply]]:
    """A typed unary call of net.Orchestrator (the generated stub is untyped)."""
    call: Callable[..., Awaitable[Reply]] = channel.unary_unary(
        f"/net.Orchestrator/{method}",
        request_serializer=lambda request: request.SerializeToString(),
        response_deserializer=response.FromString,
    )
    return call


async def get_orchestrator(
    channel: grpc.aio.Channel, capabilities: pb.Capabilities | None = None
) -> pb.OrchestratorInfo:
    request = pb.OrchestratorRequest(address=b"\x01" * 20)
    if capabilities is not None:
        request.capabilities.CopyFrom(capabilities)
    return await orchestrator_call(channel, "GetOrchestrator", pb.OrchestratorInfo)(
        request, timeout=5
    )


def both_models() -> pb.Capabilities:
    caps = ai_discovery_capabilities("text-to-image", TURBO)
    caps.constraints.PerCapability[Capability.TEXT_TO_IMAGE].models[LIGHTNING].warm = False
    return caps


async def test_general_info_describes_the_devnet(
    devnet: RunningDevnet, channel: grpc.aio.Channel
) -> None:
    info = await get_orchestrator(channel)

    assert info.transcoder == devnet.url
    assert to_checksum(info.address) == devnet.address
    offered = decode_bitstring(info.capabilities.bitstring)
    assert offered == {*DEFAULT_CAPABILITIES, *(p.capability for p in PIPELINES.values())}
    assert info.capabilities.version == "0.9.1-devnet"
    per_capability = info.capabilities.constraints.PerCapability
    models = per_capability[Capability.TEXT_TO_IMAGE].models
    assert {name: (m.warm, m.capacity) for name, m in models.items()} == {
        TURBO: (True, 4),
        LIGHTNING: (True, 4),
    }
    for pipeline in PIPELINES.values():
        if pipeline.name != "text-to-image":
            served = per_capability[pipeline.capability].models
            assert {n: (m.warm, m.capacity) for n, m in served.items()} == {
                pipeline.default_model: (True, 4)
            }
    assert not info.HasField("ticket_params")


async def test_general_info_lists_every_model_price_in_whole_wei(
    channel: grpc.aio.Channel,
) -> None:
    info = await get_orchestrator(channel)

    listed = {
        (p.capability, p.constraint): (p.pricePerUnit, p.pixelsPerUnit)
        for p in info.capabilities_prices
    }
    others = {
        (p.capability, p.default_model): (333, 1)  # --price 1000 / --pixels-per-unit 3
        for p in PIPELINES.values()
        if p.name != "text-to-image"
    }
    assert listed == {
        (Capability.TEXT_TO_IMAGE, TURBO): (333, 1),
        (Capability.TEXT_TO_IMAGE, LIGHTNING): (166, 1),
        **others,
    }
    assert (info.price_info.pricePerUnit, info.price_info.pixelsPerUnit) == (0, 1)


@pytest.mark.parametrize(
    ("capabilities", "price"),
    [
        pytest.param(ai_discovery_capabilities("text-to-image", TURBO), (1000, 3), id="one model"),
        pytest.param(both_models(), (500, 1), id="two models are summed and reduced"),
        pytest.param(
            ai_discovery_capabilities("text-to-image", "unknown/model"),
            (0, 1),
            id="unserved model falls back to the transcoding price",
        ),
        pytest.param(
            pb.Capabilities(
                constraints=pb.Capabilities.Constraints(
                    PerCapability={
                        Capability.TEXT_TO_IMAGE: pb.Capabilities.CapabilityConstraints(
                            models={TURBO: pb.Capabilities.CapabilityConstraints.ModelConstraint()}
                        )
                    }
                )
            ),
            (0, 1),
            id="a capability missing from capacities is not priced",
        ),
    ],
)
async def test_price_for_requested_capabilities(
    channel: grpc.aio.Channel, capabilities: pb.Capabilities, price: tuple[int, int]
) -> None:
    info = await get_orchestrator(channel, capabilities)

    assert (info.price_info.pricePerUnit, info.price_info.pixelsPerUnit) == price
    assert not info.capabilities_prices


async def test_auth_token_is_a_fresh_half_hour_session(channel: grpc.aio.Channel) -> None:
    first = (await get_orchestrator(channel)).auth_token
    second = (await get_orchestrator(channel)).auth_token

    assert re.fullmatch(r"[0-9a-f]{8}", first.session_id)
    assert first.session_id != second.session_id
    assert abs(first.expiration - (time.time() + 1800)) < 60
    assert len(first.token) == 32


async def test_ping_is_signed_by_the_orchestrator_key(
    devnet: RunningDevnet, channel: grpc.aio.Channel
) -> None:
    ping = orchestrator_call(channel, "Ping", pb.PingPong)
    pong = await ping(pb.PingPong(value=b"are you there"), timeout=5)

    assert to_checksum(recover_sign(b"are you there", pong.value)) == devnet.address


async def test_end_transcoding_session_checks_the_token(channel: grpc.aio.Channel) -> None:
    end = orchestrator_call(channel, "EndTranscodingSession", pb.EndTranscodingSessionResponse)
    token = (await get_orchestrator(channel)).auth_token

    ended = await end(pb.EndTranscodingSessionRequest(auth_token=token), timeout=5)
    token.expiration += 1
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await end(pb.EndTranscodingSessionRequest(auth_token=token), timeout=5)

    assert ended == pb.EndTranscodingSessionResponse()
    assert refused.value.code() == grpc.StatusCode.UNKNOWN
    assert refused.value.details() == "Invalid auth token"


async def test_unknown_method_is_unimplemented(channel: grpc.aio.Channel) -> None:
    call = channel.unary_unary(
        "/net.Transcoder/RegisterTranscoder",
        request_serializer=pb.RegisterRequest.SerializeToString,
        response_deserializer=pb.NotifySegment.FromString,
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(pb.RegisterRequest(), timeout=5)

    assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
