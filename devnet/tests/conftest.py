"""Devnet processes and clients for the devnet's tests.

The shared devnets start in parallel once per session with `--port 0`, are found through
their ready lines, and are stopped at the end whatever the outcome. TLS clients trust the
certificate the devnet presented first (trust on first use), as gateways must. Paying tests
build tickets as a payment-signer does with the `sender_params` and `payment` fixtures
(importlib mode cannot import conftest, so helpers reach test modules as fixtures).
"""

import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import grpc
import httpx
import pytest
from cryptography import x509
from lpgw.devnet.launcher import RunningDevnet, start_fleet
from lpgw.eth import PrivateKey
from lpgw.pm import ExpirationParams, TicketParams, sign_tickets
from lpgw.pm.encoding import uint
from lpgw.wire.net import lp_rpc_pb2 as pb

KEY_HEX = "11" * 32
PRICED = (
    "--model-price",
    "stabilityai/sdxl-turbo=1000",
    "--model-price",
    "ByteDance/SDXL-Lightning=500",
    "--pixels-per-unit",
    "3",
    "--key-hex",
    KEY_HEX,
)
FAST_BLOCK_S = 0.02
FLEET = {
    "tls": (*PRICED, "--no-payments"),
    "plain": (*PRICED, "--plain", "--no-payments"),
    "poor": (
        "--plain",
        "--no-payments",
        *("--capacity", "1", "--latency-ms", "500", "--failure-rate", "1"),
    ),
    "disposable": ("--plain", "--no-payments"),
    "paid": (*PRICED, "--plain"),
    "fast_chain": (*PRICED, "--plain", "--block-time-s", str(FAST_BLOCK_S)),
}


@dataclass(frozen=True)
class Pin:
    pem: bytes
    name: str


def pin_certificate(devnet: RunningDevnet) -> Pin | None:
    """The presented certificate and its first DNS name; None for a plain devnet."""
    if not devnet.tls:
        return None
    pem = ssl.get_server_certificate(("127.0.0.1", devnet.port)).encode()
    names = (
        x509.load_pem_x509_certificate(pem)
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    return Pin(pem=pem, name=names.get_values_for_type(x509.DNSName)[0])


def grpc_channel(devnet: RunningDevnet) -> grpc.aio.Channel:
    target = f"127.0.0.1:{devnet.port}"
    pin = pin_certificate(devnet)
    if pin is None:
        return grpc.aio.insecure_channel(target)
    credentials = grpc.ssl_channel_credentials(root_certificates=pin.pem)
    options = [("grpc.ssl_target_name_override", pin.name), ("grpc.default_authority", pin.name)]
    return grpc.aio.secure_channel(target, credentials, options=options)


def http_client(devnet: RunningDevnet, http2: bool = False) -> httpx.AsyncClient:
    """Trusts exactly the pinned certificate; the name is not checked (an IP in DNSNames)."""
    pin = pin_certificate(devnet)
    verify: ssl.SSLContext | bool = True
    if pin is not None:
        verify = ssl.create_default_context(cadata=pin.pem.decode())
        verify.check_hostname = False
    return httpx.AsyncClient(verify=verify, http1=not http2, http2=http2, timeout=10.0)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningDevnet]]:
    """The shared devnets, started in parallel: off-chain ones (priced over TLS and plain, a
    poor one, one a test may stop) and paid ones (12 s blocks, and 20 ms blocks for expiry)."""
    logs = tmp_path_factory.mktemp("devnets")
    with start_fleet(FLEET, logs) as running:
        yield running


@pytest.fixture(params=["tls", "plain"])
def devnet(request: pytest.FixtureRequest, fleet: dict[str, RunningDevnet]) -> RunningDevnet:
    """A priced devnet (key KEY_HEX), once per transport."""
    return fleet[request.param]


@pytest.fixture
def poor(fleet: dict[str, RunningDevnet]) -> RunningDevnet:
    """Plain; one slot per model, 500 ms per job, and every job that runs fails."""
    return fleet["poor"]


@pytest.fixture
def paid(fleet: dict[str, RunningDevnet]) -> RunningDevnet:
    """Plain, priced like `devnet`, payments on (the default)."""
    return fleet["paid"]


@pytest.fixture
def fast_chain(fleet: dict[str, RunningDevnet]) -> RunningDevnet:
    """Like `paid`, but its chain makes a block every FAST_BLOCK_S: params expire in 0.8 s."""
    return fleet["fast_chain"]


@pytest.fixture
def key_hex() -> str:
    return KEY_HEX


@pytest.fixture
async def channel(devnet: RunningDevnet) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc_channel(devnet) as opened:
        yield opened


@pytest.fixture
async def http(devnet: RunningDevnet) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(devnet) as opened:
        yield opened


@pytest.fixture
async def http2(devnet: RunningDevnet) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP/2 only: ALPN h2 over TLS, prior-knowledge h2c over plain."""
    async with http_client(devnet, http2=True) as opened:
        yield opened


# --- the gateway side of a payment -----------------------------------------------------------


def sender_params(info: pb.OrchestratorInfo) -> TicketParams:
    """The params as the gateway reads them off the wire."""
    wire = info.ticket_params
    return TicketParams(
        recipient=wire.recipient,
        face_value=uint(wire.face_value),
        win_prob=uint(wire.win_prob),
        recipient_rand_hash=wire.recipient_rand_hash,
        seed=uint(wire.seed),
        expiration_block=uint(wire.expiration_block),
        expiration_params=ExpirationParams(
            wire.expiration_params.creation_round,
            wire.expiration_params.creation_round_block_hash,
        ),
    )


def payment(
    info: pb.OrchestratorInfo,
    key: PrivateKey,
    nonces: range | list[int],
    *,
    signer: PrivateKey | None = None,
) -> pb.Payment:
    """Echo the params (fields 1-6, as go-livepeer) and sign one ticket per nonce."""
    params = sender_params(info)
    tickets = sign_tickets(signer or key, params, key.address, nonces)
    echoed = pb.TicketParams()
    echoed.CopyFrom(info.ticket_params)
    echoed.ClearField("expiration_params")
    return pb.Payment(
        ticket_params=echoed,
        sender=key.address,
        expiration_params=info.ticket_params.expiration_params,
        ticket_sender_params=[
            pb.TicketSenderParams(sender_nonce=t.sender_nonce, sig=t.sig) for t in tickets
        ],
        expected_price=info.price_info,
    )


@pytest.fixture(name="sender_params")
def sender_params_fixture() -> Callable[[pb.OrchestratorInfo], TicketParams]:
    return sender_params


@pytest.fixture(name="payment")
def payment_fixture() -> Callable[..., pb.Payment]:
    """payment(info, key, nonces, *, signer=None): the params echoed, one ticket per nonce."""
    return payment
