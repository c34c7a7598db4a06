"""OrchestratorClient against a real in-test gRPC orchestrator, over TLS and over h2c."""

import datetime
import secrets
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from lpgw.wire.client import OrchestratorClient, OrchestratorRejected, OrchestratorUnavailable
from lpgw.wire.errors import OrchestratorError
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.net import lp_rpc_pb2_grpc

CAPPED = "Invalid orchestrator request: OrchestratorCapped"
REQUEST = pb.OrchestratorRequest(address=b"\x11" * 20, sig=b"\x22" * 65)


def self_signed(dns_name: str) -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) shaped like go-livepeer's: the host, even an IP, in DNSNames."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=8765))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


class Orchestrator(lp_rpc_pb2_grpc.OrchestratorServicer):
    def __init__(self, transcoder: str, reject: str = "") -> None:
        self.transcoder = transcoder
        self.reject = reject
        self.requests: list[pb.OrchestratorRequest] = []

    async def GetOrchestrator(
        self, request: pb.OrchestratorRequest, context: grpc.aio.ServicerContext
    ) -> pb.OrchestratorInfo:
        self.requests.append(request)
        if self.reject:
            await context.abort(grpc.StatusCode.UNKNOWN, self.reject)
        return pb.OrchestratorInfo(transcoder=self.transcoder, address=b"\x33" * 20)


class Servers:
    """Starts in-test orchestrators and stops every one of them at teardown."""

    def __init__(self) -> None:
        self.running: list[Any] = []

    async def start(
        self, servicer: Orchestrator, port: int = 0, cert: tuple[bytes, bytes] | None = None
    ) -> tuple[Any, int]:
        server = grpc.aio.server()
        lp_rpc_pb2_grpc.add_OrchestratorServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
        address = f"127.0.0.1:{port}"
        if cert is None:
            bound = server.add_insecure_port(address)
        else:
            bound = server.add_secure_port(address, grpc.ssl_server_credentials([cert]))
        assert bound != 0
        await server.start()
        self.running.append(server)
        return server, bound

    async def stop(self, server: Any) -> None:
        await server.stop(None)
        self.running.remove(server)


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    servers = Servers()
    try:
        yield servers
    finally:
        for server in list(servers.running):
            await servers.stop(server)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("dns_name", ["127.0.0.1", "localhost"])
async def test_get_orchestrator_over_tls(servers: Servers, dns_name: str) -> None:
    servicer = Orchestrator("https://o.example:8935")
    _, port = await servers.start(servicer, cert=self_signed(dns_name))
    url = f"https://{dns_name}:{port}"
    client = OrchestratorClient()
    info = await client.get_orchestrator(url, REQUEST, timeout=5)
    assert info.transcoder == "https://o.example:8935"
    assert servicer.requests == [REQUEST]
    pin = client.pinned_certificate(url)
    assert pin is not None and pin.name == dns_name
    await client.get_orchestrator(url, REQUEST, timeout=5)
    assert client.pinned_certificate(url) == pin
    assert len(servicer.requests) == 2


async def test_get_orchestrator_over_h2c(servers: Servers) -> None:
    servicer = Orchestrator("http://127.0.0.1:8935")
    _, port = await servers.start(servicer)
    client = OrchestratorClient()
    info = await client.get_orchestrator(f"http://127.0.0.1:{port}", REQUEST, timeout=5)
    assert info.transcoder == "http://127.0.0.1:8935"
    assert info.address == b"\x33" * 20
    assert client.pinned_certificate(f"http://127.0.0.1:{port}") is None


async def test_restarted_orchestrator_with_a_new_certificate_is_trusted_again(
    servers: Servers,
) -> None:
    first = Orchestrator("https://first")
    server, port = await servers.start(first, cert=self_signed("127.0.0.1"))
    url = f"https://127.0.0.1:{port}"
    client = OrchestratorClient()
    assert (await client.get_orchestrator(url, REQUEST, timeout=5)).transcoder == "https://first"
    old_pin = client.pinned_certificate(url)
    await servers.stop(server)

    second = Orchestrator("https://second")
    await servers.start(second, port=port, cert=self_signed("127.0.0.1"))
    info = await client.get_orchestrator(url, REQUEST, timeout=5)
    assert info.transcoder == "https://second"
    assert second.requests == [REQUEST]
    assert client.pinned_certificate(url) != old_pin


async def test_error_status_surfaces_as_rejected_with_its_message(servers: Servers) -> None:
    _, port = await servers.start(Orchestrator("x", reject=CAPPED), cert=self_signed("127.0.0.1"))
    with pytest.raises(OrchestratorRejected) as info:
        await OrchestratorClient().get_orchestrator(f"https://127.0.0.1:{port}", REQUEST, timeout=5)
    assert info.value.message == CAPPED
    assert str(info.value) == CAPPED
    assert isinstance(info.value, OrchestratorError)


async def test_error_status_over_h2c(servers: Servers) -> None:
    _, port = await servers.start(Orchestrator("x", reject=CAPPED))
    with pytest.raises(OrchestratorRejected, match="OrchestratorCapped"):
        await OrchestratorClient().get_orchestrator(f"http://127.0.0.1:{port}", REQUEST, timeout=5)


@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_closed_port_is_unavailable_within_the_timeout(scheme: str) -> None:
    started = time.monotonic()
    with pytest.raises(OrchestratorUnavailable):
        await OrchestratorClient().get_orchestrator(
            f"{scheme}://127.0.0.1:{free_port()}", REQUEST, timeout=2
        )
    assert time.monotonic() - started < 2.5


async def test_tls_client_against_cleartext_server_is_unavailable(servers: Servers) -> None:
    """An orchestrator URL with the wrong scheme fails as unreachable, not as a rejection."""
    _, port = await servers.start(Orchestrator("x"))
    with pytest.raises(OrchestratorUnavailable):
        await OrchestratorClient().get_orchestrator(f"https://127.0.0.1:{port}", REQUEST, timeout=2)


async def test_silent_server_times_out_as_unavailable() -> None:
    """A listener that never answers the TLS handshake is cut off by the deadline."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(OrchestratorUnavailable):
            await OrchestratorClient().get_orchestrator(
                f"https://127.0.0.1:{port}", REQUEST, timeout=1
            )
        assert time.monotonic() - started < 1.5
