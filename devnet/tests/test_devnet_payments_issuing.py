"""How the payment knobs shape the ticket params GetOrchestrator hands out (payments.md §3.3)."""

from fractions import Fraction

import pytest
from lpgw.devnet.cli import load_settings
from lpgw.devnet.errors import OrchestratorRequestRejected
from lpgw.devnet.node import build_node
from lpgw.devnet.orchestrator_service import OrchestratorService
from lpgw.eth import PrivateKey
from lpgw.pm.encoding import uint
from lpgw.pm.ev import MAX_WIN_PROB, ticket_ev
from lpgw.wire.capabilities import ai_discovery_capabilities
from lpgw.wire.net import lp_rpc_pb2 as pb

GATEWAY = PrivateKey(bytes.fromhex("44" * 32))


async def params_with(*flags: str) -> pb.TicketParams:
    settings = load_settings(["--price", "1000", *flags])
    node = build_node(settings, "http://127.0.0.1:1", PrivateKey.generate())
    request = pb.OrchestratorRequest(
        address=GATEWAY.address,
        capabilities=ai_discovery_capabilities("text-to-image", "stabilityai/sdxl-turbo"),
    )
    info = await OrchestratorService(node).get_orchestrator(request)
    return info.ticket_params


def odds(params: pb.TicketParams) -> Fraction:
    """1 / win probability."""
    return Fraction(MAX_WIN_PROB, uint(params.win_prob))


@pytest.mark.parametrize(
    ("flags", "face_value", "one_in"),
    [
        pytest.param((), 100_030_000_000, 100, id="defaults: one ticket in a hundred wins"),
        pytest.param(("--face-value-multiplier", "10"), 10_003_000_000, 10, id="multiplier 10"),
        pytest.param(("--ticket-ev", "5", "--gas-price", "0"), 500, 100, id="free gas: 100 EV"),
        pytest.param(
            ("--gas-price", "10", "--redeem-gas", "10000000"), 10**10, 10, id="costly redemption"
        ),
        pytest.param(("--max-face-value", "2000000000"), 2 * 10**9, 2, id="face value cap"),
    ],
)
async def test_knobs(flags: tuple[str, ...], face_value: int, one_in: int) -> None:
    params = await params_with(*flags)

    assert uint(params.face_value) == face_value
    assert round(odds(params)) == one_in
    ev = ticket_ev(uint(params.face_value), uint(params.win_prob))
    assert abs(ev - (5 if "--ticket-ev" in flags else 10**9)) <= 1


async def test_a_reserve_too_small_for_one_ticket_is_refused() -> None:
    with pytest.raises(OrchestratorRequestRejected, match=r"^insufficient sender reserve$"):
        await params_with("--sender-reserve", "999999999")


async def test_without_payments_no_params_are_issued() -> None:
    assert await params_with("--no-payments") == pb.TicketParams()
