"""Fresh orchestrator info per job: reuse until 180 s before the token expires, map errors."""

import asyncio

import pytest
from lpgw.session.failures import OrchestratorRefused, OrchestratorUnreachable
from lpgw.session.keepalive import kept_alive
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.signer_client import OFF_CHAIN
from lpgw.wire.errors import OrchestratorRejected, OrchestratorUnavailable, WireError
from lpgw.wire.net import lp_rpc_pb2 as pb

NOW = 10_000.0


class FakeOrchestrators:
    """A small fake of the orchestrator client: answers `info` or raises `error`."""

    def __init__(self, info: pb.OrchestratorInfo | None = None, error: WireError | None = None):
        self.info = info
        self.error = error
        self.requests: list[pb.OrchestratorRequest] = []

    async def get_orchestrator(
        self,
        url: str,
        request: pb.OrchestratorRequest,
        timeout: float = 6.0,  # noqa: ASYNC109
    ) -> pb.OrchestratorInfo:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        assert self.info is not None
        return self.info


def _info(
    expires_in: float, transcoder: str = "https://o:1", *, params: bool = False
) -> pb.OrchestratorInfo:
    info = pb.OrchestratorInfo(transcoder=transcoder)
    info.auth_token.session_id = "abcd0123"
    info.auth_token.expiration = int(NOW + expires_in)
    if params:
        info.ticket_params.face_value = (10**9).to_bytes(8, "big")
    return info


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("age_s", "tickets", "calls"),
    [
        pytest.param(0, 0, 1, id="fresh params are reused"),
        pytest.param(239, 399, 1, id="under 4 min and 400 tickets: reused"),
        pytest.param(240, 0, 2, id="params 4 min old are refreshed"),
        pytest.param(0, 400, 2, id="400 tickets on the params: refreshed"),
    ],
)
async def test_ticket_params_are_refreshed_by_age_and_tickets(
    age_s: float, tickets: int, calls: int
) -> None:
    fake = FakeOrchestrators(_info(1800, params=True))
    clock = Clock()
    infos = OrchestratorInfos(fake, OFF_CHAIN, clock=clock)
    info = await infos.get("https://o:1", "text-to-image", "m1")
    infos.tickets_sent("https://o:1", "text-to-image", "m1", info, tickets)
    clock.now += age_s
    await infos.get("https://o:1", "text-to-image", "m1")
    assert len(fake.requests) == calls


async def test_tickets_on_replaced_params_do_not_count() -> None:
    fake = FakeOrchestrators(_info(1800, params=True))
    infos = OrchestratorInfos(fake, OFF_CHAIN, clock=lambda: NOW)
    old = await infos.get("https://o:1", "text-to-image", "m1")
    infos.forget("https://o:1", "text-to-image", "m1")
    fake.info = _info(1800, params=True)
    await infos.get("https://o:1", "text-to-image", "m1")
    infos.tickets_sent("https://o:1", "text-to-image", "m1", old, 1000)
    await infos.get("https://o:1", "text-to-image", "m1")
    assert len(fake.requests) == 2


async def test_asks_with_the_job_capabilities() -> None:
    fake = FakeOrchestrators(_info(1800))
    infos = OrchestratorInfos(fake, OFF_CHAIN, clock=lambda: NOW)
    await infos.get("https://o:1", "text-to-image", "m1")
    caps = fake.requests[0].capabilities
    assert 27 in caps.constraints.PerCapability
    assert "m1" in caps.constraints.PerCapability[27].models


@pytest.mark.parametrize(
    ("expires_in", "calls"),
    [
        pytest.param(1800, 1, id="fresh token is reused"),
        pytest.param(181, 1, id="just over 180 s left is reused"),
        pytest.param(180, 2, id="180 s left is refreshed"),
    ],
)
async def test_cache_until_near_expiry(expires_in: float, calls: int) -> None:
    fake = FakeOrchestrators(_info(expires_in))
    infos = OrchestratorInfos(fake, OFF_CHAIN, clock=lambda: NOW)
    await infos.get("https://o:1", "text-to-image", "m1")
    await infos.get("https://o:1", "text-to-image", "m1")
    assert len(fake.requests) == calls


async def test_forget_drops_the_cached_answer() -> None:
    fake = FakeOrchestrators(_info(1800))
    infos = OrchestratorInfos(fake, OFF_CHAIN, clock=lambda: NOW)
    await infos.get("https://o:1", "text-to-image", "m1")
    infos.forget("https://o:1", "text-to-image", "m1")
    await infos.get("https://o:1", "text-to-image", "m1")
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("fake", "expected"),
    [
        pytest.param(
            FakeOrchestrators(error=OrchestratorUnavailable("down")),
            OrchestratorUnreachable,
            id="unreachable orchestrator",
        ),
        pytest.param(
            FakeOrchestrators(error=OrchestratorRejected("UNKNOWN", "insufficient reserve")),
            OrchestratorRefused,
            id="orchestrator refuses",
        ),
        pytest.param(
            FakeOrchestrators(_info(1800, transcoder="")),
            OrchestratorRefused,
            id="answer without service uri",
        ),
        pytest.param(
            FakeOrchestrators(pb.OrchestratorInfo(transcoder="https://o:1")),
            OrchestratorRefused,
            id="answer without auth token",
        ),
    ],
)
async def test_errors_become_attempt_failures(
    fake: FakeOrchestrators, expected: type[Exception]
) -> None:
    infos = OrchestratorInfos(fake, OFF_CHAIN, clock=lambda: NOW)
    with pytest.raises(expected):
        await infos.get("https://o:1", "text-to-image", "m1")


class Beats:
    def __init__(self) -> None:
        self.count = 0
        self.attempt = 1

    async def in_progress(self) -> None:
        self.count += 1


async def test_long_work_is_reported_in_progress_until_it_ends() -> None:
    beats = Beats()
    async with kept_alive(beats, 0.01):
        await asyncio.sleep(0.1)
    seen = beats.count
    await asyncio.sleep(0.05)
    assert seen >= 3
    assert beats.count == seen
