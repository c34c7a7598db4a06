"""Devnet processes and clients for the devnet's tests.

Every process starts with `--port 0`, is found through its ready line, and is stopped when its
fixture ends, whatever the test's outcome. TLS clients trust the certificate the devnet
presented first (trust on first use), as gateways must.
"""

import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from cryptography import x509
from lpgw.devnet.launcher import RunningDevnet, start_devnet

PRICED = (
    "--model-price",
    "stabilityai/sdxl-turbo=1000",
    "--model-price",
    "ByteDance/SDXL-Lightning=500",
    "--pixels-per-unit",
    "3",
)


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


StartDevnet = Callable[..., RunningDevnet]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[StartDevnet]:
    """Start devnets with extra flags; every one is stopped at the end of the test."""
    started: list[RunningDevnet] = []

    def launch(*args: str) -> RunningDevnet:
        devnet = start_devnet(args, tmp_path / f"devnet-{len(started)}.log")
        started.append(devnet)
        return devnet

    try:
        yield launch
    finally:
        for devnet in started:
            devnet.stop()


@pytest.fixture(scope="session", params=["tls", "plain"])
def devnet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningDevnet]:
    """One priced devnet per transport, shared by every test that does not change it."""
    flags = PRICED if request.param == "tls" else (*PRICED, "--plain")
    started = start_devnet(flags, tmp_path_factory.mktemp("devnet") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


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
