"""POST /segment, GET /stream and the transcoding session rules as a gateway sees them.

Real devnet processes, real HTTP: the test holds the gateway's key, asks GetOrchestrator for a
transcoding job, signs SegData with lpgw.wire, pays with lpgw.pm tickets as a payment-signer
does, and decodes the renditions it gets back with PyAV.
"""

import io
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

import av
import grpc
import httpx
import pytest
from cryptography import x509
from google.protobuf.message import Message
from lpgw.devnet.launcher import RunningDevnet, start_fleet
from lpgw.devnet.transcoding.pattern import pattern_segment
from lpgw.eth import PrivateKey, keccak256, parse_address, to_checksum
from lpgw.pm import ExpirationParams, TicketParams, sign_tickets
from lpgw.pm.encoding import uint
from lpgw.video.profiles import PRESETS, VideoProfile
from lpgw.wire.capabilities import ai_discovery_capabilities
from lpgw.wire.headers import URI_CONTENT_TYPE, encode_payment, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import build_orchestrator_request, sign_orchestrator_request
from lpgw.wire.transcoding import (
    transcode_segdata,
    transcoding_capabilities,
    verify_transcode_data_sig,
)

P240 = PRESETS["P240p30fps16x9"]
P360 = PRESETS["P360p30fps16x9"]
LADDER = [P240, P360]
CAPS = transcoding_capabilities("h264", LADDER)
PRICE = Fraction(5, 2)  # wei per pixel
SOURCE_FRAMES = 60
FRAME = 3000  # one frame at 30 fps in 1/90000 s
FLEET = {
    "paid": ("--plain", "--transcoding-price", "5", "--pixels-per-unit", "2"),
    "tls": ("--no-payments",),
    "passthrough": ("--plain", "--no-payments", "--transcode-mode", "passthrough"),
    "capped": (
        *("--plain", "--no-payments", "--transcode-mode", "passthrough", "--max-sessions", "1"),
    ),
    "flaky": (
        *("--plain", "--no-payments", "--transcode-mode", "passthrough", "--failure-rate", "1"),
    ),
}
Reply = TypeVar("Reply", bound=Message)


@pytest.fixture(scope="module")
def devnets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningDevnet]]:
    logs = tmp_path_factory.mktemp("transcoding-devnets")
    with start_fleet(FLEET, logs) as running:
        yield running


@pytest.fixture(scope="module")
def source() -> bytes:
    """2 s of 320×180 H.264 (GOP 60 at 30 fps) + AAC, first video pts at 10 s."""
    return pattern_segment(320, 180, seconds=2.0, fps=30, gop_frames=60)


# --- the gateway side ---------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    pem: bytes
    name: str


def pin(devnet: RunningDevnet) -> Pin | None:
    """Trust on first use: the certificate the devnet presents and its DNS name."""
    if not devnet.tls:
        return None
    pem = ssl.get_server_certificate(("127.0.0.1", devnet.port)).encode()
    names = x509.load_pem_x509_certificate(pem).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    return Pin(pem, names.value.get_values_for_type(x509.DNSName)[0])


def client(devnet: RunningDevnet) -> httpx.AsyncClient:
    pinned = pin(devnet)
    if pinned is None:
        return httpx.AsyncClient(timeout=20.0)
    context = ssl.create_default_context(cadata=pinned.pem.decode())
    context.check_hostname = False
    return httpx.AsyncClient(verify=context, http1=False, http2=True, timeout=20.0)


async def call(devnet: RunningDevnet, method: str, request: Message, reply: type[Reply]) -> Reply:
    target = f"127.0.0.1:{devnet.port}"
    pinned = pin(devnet)
    if pinned is None:
        channel = grpc.aio.insecure_channel(target)
    else:
        options = [
            ("grpc.ssl_target_name_override", pinned.name),
            ("grpc.default_authority", pinned.name),
        ]
        credentials = grpc.ssl_channel_credentials(root_certificates=pinned.pem)
        channel = grpc.aio.secure_channel(target, credentials, options=options)
    async with channel:
        unary: Callable[..., Awaitable[Reply]] = channel.unary_unary(
            f"/net.Orchestrator/{method}",
            request_serializer=lambda r: r.SerializeToString(),
            response_deserializer=reply.FromString,
        )
        return await unary(request, timeout=5)


async def get_info(
    devnet: RunningDevnet, key: PrivateKey | None, caps: pb.Capabilities | None = CAPS
) -> pb.OrchestratorInfo:
    address, sig = sign_orchestrator_request(key) if key is not None else (b"", b"")
    request = build_orchestrator_request(address, sig, caps)
    return await call(devnet, "GetOrchestrator", request, pb.OrchestratorInfo)


async def end_session(devnet: RunningDevnet, token: pb.AuthToken) -> None:
    request = pb.EndTranscodingSessionRequest(auth_token=token)
    await call(devnet, "EndTranscodingSession", request, pb.EndTranscodingSessionResponse)


def payment(info: pb.OrchestratorInfo, key: PrivateKey, tickets: int) -> pb.Payment:
    """Echo the params (fields 1-6, as go-livepeer) and sign `tickets` tickets."""
    wire = info.ticket_params
    params = TicketParams(
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
    signed = sign_tickets(key, params, key.address, range(1, tickets + 1))
    echoed = pb.TicketParams()
    echoed.CopyFrom(wire)
    echoed.ClearField("expiration_params")
    return pb.Payment(
        ticket_params=echoed,
        sender=key.address,
        expiration_params=wire.expiration_params,
        ticket_sender_params=[
            pb.TicketSenderParams(sender_nonce=t.sender_nonce, sig=t.sig) for t in signed
        ],
        expected_price=info.price_info,
    )


def credentials(
    info: pb.OrchestratorInfo,
    data: bytes,
    *,
    seq: int = 0,
    profiles: list[VideoProfile] = LADDER,
    signer: PrivateKey | None = None,
) -> pb.SegData:
    caps = transcoding_capabilities("h264", profiles)
    return transcode_segdata(
        "stream", seq, keccak256(data), profiles, 2000, info.auth_token, caps, signer
    )


async def post_segment(
    http: httpx.AsyncClient,
    devnet: RunningDevnet,
    body: bytes,
    seg: pb.SegData,
    paid: pb.Payment | None = None,
    content_type: str = "video/MP2T",
) -> httpx.Response:
    headers = {
        "Livepeer-Segment": encode_segment(seg),
        "Livepeer-Payment": encode_payment(paid),
        "Content-Type": content_type,
    }
    return await http.post(f"{devnet.url}/segment", content=body, headers=headers)


def result_of(response: httpx.Response) -> pb.TranscodeResult:
    assert response.status_code == 200, response.text
    return pb.TranscodeResult.FromString(response.content)


@dataclass(frozen=True)
class Seen:
    size: tuple[int, int]
    frames: int
    first_pts: int
    duration_s: float
    audio_packets: int


def decode(data: bytes) -> Seen:
    with av.open(io.BytesIO(data), "r") as container:
        frames = list(container.decode(video=0))
    with av.open(io.BytesIO(data), "r") as container:
        audio = sum(1 for p in container.demux(audio=0) if p.size)
    pts = [f.pts for f in frames if f.pts is not None]
    return Seen(
        (frames[0].width, frames[0].height),
        len(frames),
        pts[0],
        (pts[-1] - pts[0] + FRAME) / 90000,
        audio,
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20.0) as opened:
        yield opened


# --- a paid segment -----------------------------------------------------------------------


async def test_a_paid_segment_comes_back_as_real_renditions(
    devnets: dict[str, RunningDevnet], http: httpx.AsyncClient, source: bytes
) -> None:
    paid, gateway = devnets["paid"], PrivateKey.generate()
    info = await get_info(paid, gateway)
    assert Fraction(info.price_info.pricePerUnit, info.price_info.pixelsPerUnit) == PRICE
    session = info.auth_token.session_id

    response = await post_segment(
        http,
        paid,
        source,
        credentials(info, source, seq=3, signer=gateway),
        payment(info, gateway, 1),
    )

    result = result_of(response)
    assert (result.seq, result.WhichOneof("result")) == (3, "data")
    renditions = []
    for profile, out in zip(LADDER, result.data.segments, strict=True):
        assert out.url == f"{paid.url}/stream/{session}/{profile.name}/3.ts"
        fetched = await http.get(out.url)
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == "video/mp2t"
        seen = decode(fetched.content)
        assert seen.size == (profile.width, profile.height)
        assert seen.frames == SOURCE_FRAMES
        assert abs(seen.duration_s - 2.0) < 0.05
        assert abs(seen.first_pts - decode(source).first_pts) < FRAME
        assert seen.audio_packets > 90
        assert out.pixels == profile.width * profile.height * seen.frames
        renditions.append(fetched.content)
    assert verify_transcode_data_sig(result.data.sig, renditions, parse_address(paid.address))
    assert result.info.auth_token == info.auth_token
    assert result.info.HasField("ticket_params")
    assert result.info.ticket_params.seed != info.ticket_params.seed
    assert (result.info.price_info.pricePerUnit, result.info.price_info.pixelsPerUnit) == (5, 2)

    ledger = (await http.get(f"{paid.url}/ledger")).json()["senders"][to_checksum(gateway.address)]
    fee = PRICE * sum(s.pixels for s in result.data.segments)
    ev = Fraction(ledger["ev_received"])
    assert Fraction(ledger["debited"]) == fee
    assert Fraction(ledger["buckets"][session]) == ev - fee


async def test_a_bad_signature_is_refused(
    devnets: dict[str, RunningDevnet], http: httpx.AsyncClient, source: bytes
) -> None:
    paid, gateway = devnets["paid"], PrivateKey.generate()
    info = await get_info(paid, gateway)
    forged = credentials(info, source, signer=PrivateKey.generate())

    response = await post_segment(http, paid, source, forged, payment(info, gateway, 1))

    assert (response.status_code, response.text) == (403, "ErrSegSig\n")


async def test_a_segment_without_credit_is_refused(
    devnets: dict[str, RunningDevnet], http: httpx.AsyncClient, source: bytes
) -> None:
    paid = devnets["paid"]
    info = await get_info(paid, None)

    response = await post_segment(http, paid, source, credentials(info, source))

    assert (response.status_code, response.text) == (400, "Insufficient balance\n")


# --- refusals before the 200 --------------------------------------------------------------


def forged_token(seg: pb.SegData) -> pb.SegData:
    seg.auth_token.session_id = "00000000"
    return seg


def without_token(seg: pb.SegData) -> pb.SegData:
    seg.ClearField("auth_token")
    return seg


def with_hash_of_other_bytes(seg: pb.SegData) -> pb.SegData:
    seg.hash = keccak256(b"other bytes")
    return seg


def too_long(seg: pb.SegData) -> pb.SegData:
    seg.duration = 300_001
    return seg


def hevc_output(seg: pb.SegData) -> pb.SegData:
    seg.fullProfiles3[0].encoder = pb.VideoProfile.H265
    return seg


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        pytest.param(forged_token, 403, "invalid auth token", id="forged token"),
        pytest.param(without_token, 403, "missing auth token", id="no token"),
        pytest.param(with_hash_of_other_bytes, 403, "Forbidden", id="body hashes differently"),
        pytest.param(too_long, 403, "invalid duration", id="duration over 300 s"),
        pytest.param(
            hevc_output, 403, "unsupported VideoProfile encoder 1", id="profile it cannot make"
        ),
    ],
)
async def test_bad_credentials_are_refused(
    devnets: dict[str, RunningDevnet],
    http: httpx.AsyncClient,
    source: bytes,
    change: Callable[[pb.SegData], pb.SegData],
    status: int,
    text: str,
) -> None:
    devnet = devnets["passthrough"]
    info = await get_info(devnet, None)

    response = await post_segment(http, devnet, source, change(credentials(info, source)))

    assert (response.status_code, response.text) == (status, text + "\n")
    assert response.headers["content-type"].startswith("text/plain")


async def test_a_garbled_payment_is_402(
    devnets: dict[str, RunningDevnet], http: httpx.AsyncClient, source: bytes
) -> None:
    devnet = devnets["passthrough"]
    headers = {"Livepeer-Payment": "%%%", "Livepeer-Segment": ""}

    response = await http.post(f"{devnet.url}/segment", content=source, headers=headers)

    assert response.status_code == 402


# --- passthrough and URL bodies -----------------------------------------------------------


async def test_passthrough_returns_the_input_and_charges_the_profiles_pixels(
    devnets: dict[str, RunningDevnet], http: httpx.AsyncClient, source: bytes
) -> None:
    devnet = devnets["passthrough"]
    info = await get_info(devnet, None)

    result = result_of(await post_segment(http, devnet, source, credentials(info, source, seq=9)))

    assert not result.data.sig  # off-chain
    assert [out.pixels for out in result.data.segments] == [
        p.width * p.height * SOURCE_FRAMES for p in LADDER
    ]
    for out in result.data.segments:
        assert (await http.get(out.url)).content == source


async def test_a_body_can_be_a_url_to_fetch(
    devnets: dict[str, RunningDevnet], http: httpx.AsyncClient, source: bytes
) -> None:
    devnet = devnets["passthrough"]
    info = await get_info(devnet, None)
    first = result_of(await post_segment(http, devnet, source, credentials(info, source, seq=1)))
    url = first.data.segments[0].url

    by_url = await post_segment(
        http, devnet, url.encode(), credentials(info, source, seq=2), content_type=URI_CONTENT_TYPE
    )
    missing = await post_segment(
        http,
        devnet,
        f"{devnet.url}/stream/none/x/1.ts".encode(),
        credentials(info, source, seq=3),
        content_type=URI_CONTENT_TYPE,
    )

    [fetched_url, _] = [s.url for s in result_of(by_url).data.segments]
    assert (await http.get(fetched_url)).content == source
    assert (missing.status_code, missing.text) == (400, "BadRequest\n")


# --- failures after the 200 ---------------------------------------------------------------


async def test_garbage_is_a_result_error_and_the_next_segment_still_works(
    devnets: dict[str, RunningDevnet], source: bytes
) -> None:
    tls = devnets["tls"]
    info = await get_info(tls, None)
    garbage = b"this is not a transport stream " * 1000
    half = VideoProfile("half", 160, 90, 200_000, fps=15, container="mp4")

    async with client(tls) as http2:
        broken = await post_segment(http2, tls, garbage, credentials(info, garbage, seq=1))
        fine = await post_segment(
            http2, tls, source, credentials(info, source, seq=2, profiles=[half])
        )
        [out] = result_of(fine).data.segments
        fetched = await http2.get(out.url)

    assert broken.http_version == "HTTP/2"
    assert result_of(broken).error == "Invalid data found when processing input"
    assert out.url.endswith("/half/2.mp4")
    assert fetched.headers["content-type"] == "video/mp4"
    seen = decode(fetched.content)
    assert (seen.size, seen.frames, seen.audio_packets > 90) == ((160, 90), 30, True)
    assert out.pixels == 160 * 90 * 30


async def test_injected_failures_show_both_ways(
    devnets: dict[str, RunningDevnet], http: httpx.AsyncClient, source: bytes
) -> None:
    flaky = devnets["flaky"]
    info = await get_info(flaky, None)

    first = await post_segment(http, flaky, source, credentials(info, source, seq=1))
    second = await post_segment(http, flaky, source, credentials(info, source, seq=2))

    assert result_of(first).error == "devnet injected failure"
    assert result_of(first).info.auth_token == info.auth_token
    assert (second.status_code, second.text) == (500, "devnet injected failure\n")


# --- capacity -----------------------------------------------------------------------------


async def test_sessions_past_the_cap_are_refused_until_one_ends(
    devnets: dict[str, RunningDevnet], http: httpx.AsyncClient, source: bytes
) -> None:
    capped = devnets["capped"]
    first = await get_info(capped, None)
    second = await get_info(capped, None)
    served = result_of(await post_segment(http, capped, source, credentials(first, source)))

    refused = await post_segment(http, capped, source, credentials(second, source))
    with pytest.raises(grpc.aio.AioRpcError) as general:
        await get_info(capped, None, None)
    with pytest.raises(grpc.aio.AioRpcError) as transcoding:
        await get_info(capped, None)
    ai = await get_info(capped, None, ai_discovery_capabilities("text-to-image", "m"))
    await end_session(capped, first.auth_token)
    admitted = await post_segment(http, capped, source, credentials(second, source))

    assert (refused.status_code, refused.text) == (403, "OrchestratorCapped\n")
    for error in (general.value, transcoding.value):
        assert error.code() == grpc.StatusCode.UNKNOWN
        assert error.details() == "Invalid orchestrator request: OrchestratorCapped"
    assert ai.transcoder == capped.url
    assert result_of(admitted).WhichOneof("result") == "data"
    assert (await http.get(served.data.segments[0].url)).status_code == 404
