"""POST /text-to-image and GET /stream as a gateway sees them (wire.md §7.4)."""

import asyncio
import base64
import io
from collections.abc import Awaitable, Callable

import grpc
import httpx
import pytest
from lpgw.devnet.launcher import RunningDevnet
from lpgw.wire.capabilities import ai_job_capabilities
from lpgw.wire.headers import AI_WORKER_AUTHORIZATION, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from PIL import Image

TURBO = "stabilityai/sdxl-turbo"


async def auth_token(channel: grpc.aio.Channel) -> pb.AuthToken:
    call: Callable[..., Awaitable[pb.OrchestratorInfo]] = channel.unary_unary(
        "/net.Orchestrator/GetOrchestrator",
        request_serializer=pb.OrchestratorRequest.SerializeToString,
        response_deserializer=pb.OrchestratorInfo.FromString,
    )
    return (await call(pb.OrchestratorRequest(), timeout=5)).auth_token


def segment_header(token: pb.AuthToken | None, model: str = TURBO) -> str:
    segment = pb.SegData(capabilities=ai_job_capabilities("text-to-image", model, warm=True))
    if token is not None:
        segment.auth_token.CopyFrom(token)
    return encode_segment(segment)


def worker_headers(segment: str) -> dict[str, str]:
    return {
        "Livepeer-Segment": segment,
        "Livepeer-Payment": "",
        "Authorization": AI_WORKER_AUTHORIZATION,
    }


async def generate(
    http: httpx.AsyncClient, devnet: RunningDevnet, body: dict[str, object], headers: dict[str, str]
) -> httpx.Response:
    return await http.post(f"{devnet.url}/text-to-image", json=body, headers=headers)


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


async def test_images_are_real_pngs_served_from_the_stream_url(
    devnet: RunningDevnet, channel: grpc.aio.Channel, http: httpx.AsyncClient
) -> None:
    headers = worker_headers(segment_header(await auth_token(channel)))
    body = {"model_id": TURBO, "prompt": "a lighthouse", "width": 320, "height": 200, "seed": 7}

    response = await generate(http, devnet, {**body, "num_images_per_prompt": 2}, headers)

    assert response.status_code == 200, response.text
    images = response.json()["images"]
    assert [(image["seed"], image["nsfw"]) for image in images] == [(7, False), (8, False)]
    for image in images:
        assert image["url"].startswith(f"{devnet.url}/stream/")
        fetched = await http.get(image["url"])
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == "image/png"
        assert png_size(fetched.content) == (320, 200)


async def test_same_prompt_and_seed_give_the_same_image(
    devnet: RunningDevnet, channel: grpc.aio.Channel, http: httpx.AsyncClient
) -> None:
    headers = worker_headers(segment_header(await auth_token(channel)))

    async def first_image(prompt: str) -> bytes:
        body = {"model_id": TURBO, "prompt": prompt, "seed": 42, "width": 64, "height": 64}
        response = await generate(http, devnet, body, headers)
        return (await http.get(response.json()["images"][0]["url"])).content

    first, again, other = [await first_image(p) for p in ("a fox", "a fox", "a hen")]

    assert first == again
    assert first != other


async def test_defaults_are_512_square_with_a_returned_random_seed(
    devnet: RunningDevnet, channel: grpc.aio.Channel, http: httpx.AsyncClient
) -> None:
    headers = worker_headers(segment_header(await auth_token(channel)))

    response = await generate(http, devnet, {"model_id": TURBO, "prompt": "x"}, headers)

    [image] = response.json()["images"]
    assert isinstance(image["seed"], int)
    assert png_size((await http.get(image["url"])).content) == (512, 512)


async def test_without_the_worker_authorization_images_are_data_urls(
    devnet: RunningDevnet, channel: grpc.aio.Channel, http: httpx.AsyncClient
) -> None:
    headers = {"Livepeer-Segment": segment_header(await auth_token(channel))}
    body = {"model_id": TURBO, "prompt": "x", "width": 16, "height": 8}

    response = await generate(http, devnet, body, headers)

    url = response.json()["images"][0]["url"]
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    assert png_size(base64.b64decode(url.removeprefix(prefix))) == (16, 8)


async def test_http2_requests_reach_the_http_routes(
    devnet: RunningDevnet, http2: httpx.AsyncClient
) -> None:
    response = await http2.get(f"{devnet.url}/healthz")

    assert response.http_version == "HTTP/2"
    assert response.json()["address"] == devnet.address


def forged(token: pb.AuthToken) -> pb.AuthToken:
    copy = pb.AuthToken()
    copy.CopyFrom(token)
    copy.session_id = "00000000"
    return copy


@pytest.mark.parametrize(
    ("make_headers", "status", "text"),
    [
        pytest.param(
            lambda t: worker_headers(segment_header(None)),
            403,
            "missing auth token",
            id="missing token",
        ),
        pytest.param(lambda t: {}, 403, "missing auth token", id="no headers at all"),
        pytest.param(
            lambda t: worker_headers("not base64!"), 403, "ErrorSegEncoding", id="garbled segment"
        ),
        pytest.param(
            lambda t: worker_headers(segment_header(forged(t))),
            403,
            "invalid auth token",
            id="forged token",
        ),
        pytest.param(
            lambda t: {**worker_headers(segment_header(t)), "Livepeer-Payment": "%%%"},
            402,
            None,
            id="garbled payment",
        ),
        pytest.param(
            lambda t: worker_headers(segment_header(t, model="other/model")),
            403,
            "incompatible capabilities",
            id="segment asks for a model not served",
        ),
    ],
)
async def test_credentials_are_checked(
    devnet: RunningDevnet,
    channel: grpc.aio.Channel,
    http: httpx.AsyncClient,
    make_headers: Callable[[pb.AuthToken], dict[str, str]],
    status: int,
    text: str | None,
) -> None:
    headers = make_headers(await auth_token(channel))

    response = await generate(http, devnet, {"model_id": TURBO, "prompt": "x"}, headers)

    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.endswith("\n")
    if text is not None:
        assert response.text == text + "\n"


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        pytest.param(b"{not json", 400, None, id="undecodable body"),
        pytest.param(b'{"prompt": "x", "width": "wide"}', 400, None, id="width of the wrong type"),
        pytest.param(
            b'{"model_id": "stabilityai/sdxl-turbo", "width": 4096}',
            400,
            "width must be between 1 and 2048",
            id="too wide",
        ),
        pytest.param(
            b'{"model_id": "unknown/model", "prompt": "x"}',
            503,
            "insufficient capacity",
            id="unserved model",
        ),
        pytest.param(b'{"prompt": "x"}', 503, "insufficient capacity", id="absent model"),
    ],
)
async def test_bad_jobs_are_refused(
    devnet: RunningDevnet,
    channel: grpc.aio.Channel,
    http: httpx.AsyncClient,
    body: bytes,
    status: int,
    text: str | None,
) -> None:
    token = await auth_token(channel)
    headers = {"Livepeer-Segment": encode_segment(pb.SegData(auth_token=token))}

    response = await http.post(f"{devnet.url}/text-to-image", content=body, headers=headers)

    assert response.status_code == status
    if text is not None:
        assert response.text == text + "\n"


async def test_unknown_results_are_404(devnet: RunningDevnet, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{devnet.url}/stream/nope/0.png")

    assert response.status_code == 404


async def test_concurrent_requests_within_capacity_all_succeed(
    devnet: RunningDevnet, channel: grpc.aio.Channel, http: httpx.AsyncClient
) -> None:
    headers = worker_headers(segment_header(await auth_token(channel)))
    body = {"model_id": TURBO, "prompt": "x", "width": 32, "height": 32}

    responses = await asyncio.gather(*(generate(http, devnet, body, headers) for _ in range(4)))

    assert [r.status_code for r in responses] == [200] * 4
