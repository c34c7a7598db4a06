"""Every batch AI pipeline over HTTP as a gateway sees it (wire.md §7.4, ai-api.md §2–3).

Requests go to real devnet processes with credentials built by lpgw.wire and, on the paid
devnet, tickets signed with lpgw.pm; outputs are decoded (Pillow, PyAV, wave) to check they are
real media, and the ledger is read to check each pipeline's units (payments.md §8).
"""

import io
import json
import math
import time
import wave
from array import array
from collections.abc import AsyncIterator, Awaitable, Callable
from fractions import Fraction
from typing import Any

import av
import grpc
import httpx
import pytest
from lpgw.devnet.cli import load_settings
from lpgw.devnet.jobs.planning import PLANNERS
from lpgw.devnet.launcher import RunningDevnet
from lpgw.eth import PrivateKey, to_checksum
from lpgw.pipelines import PIPELINES
from lpgw.pm import ExpirationParams, TicketParams, sign_tickets
from lpgw.pm.encoding import uint
from lpgw.wire.capabilities import ai_discovery_capabilities, ai_job_capabilities
from lpgw.wire.headers import AI_WORKER_AUTHORIZATION, encode_payment, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import build_orchestrator_request, sign_orchestrator_request
from lpgw.wire.segdata import ai_segdata
from PIL import Image

PRICE = Fraction(1000, 3)  # conftest.PRICED: --price 1000 (default) / --pixels-per-unit 3

# --- inputs -------------------------------------------------------------------------------


def png(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def wav(seconds: float, rate: int = 16000) -> bytes:
    samples = array("h", (round(8000 * math.sin(n / 10)) for n in range(round(seconds * rate))))
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())
    return out.getvalue()


def default(pipeline: str) -> str:
    return PIPELINES[pipeline].default_model


def body_for(pipeline: str, model: str) -> dict[str, Any]:
    """httpx keyword arguments of a small valid request for each pipeline."""
    image = {"image": ("in.png", png(48, 32), "image/png")}
    bodies: dict[str, dict[str, Any]] = {
        "text-to-image": {"json": {"model_id": model, "prompt": "a boat", "width": 64}},
        "image-to-image": {"data": {"model_id": model, "prompt": "a boat"}, "files": image},
        "image-to-video": {
            "data": {"model_id": model, "width": "64", "height": "48", "fps": "8", "seed": "3"},
            "files": image,
        },
        "upscale": {"data": {"model_id": model, "prompt": "sharper"}, "files": image},
        "audio-to-text": {
            "data": {"model_id": model},
            "files": {"audio": ("in.wav", wav(2.5), "audio/wav")},
        },
        "llm": {
            "json": {
                "model": model,
                "messages": [{"role": "user", "content": "tell me about boats"}],
                "max_tokens": 40,
            }
        },
        "segment-anything-2": {
            "data": {"model_id": model, "point_coords": "[[10, 10]]", "point_labels": "[1]"},
            "files": image,
        },
        "image-to-text": {"data": {"model_id": model, "prompt": "a photo of"}, "files": image},
        "text-to-speech": {"json": {"model_id": model, "text": "héllo boats"}},
    }
    return bodies[pipeline]


UNITS = {
    "text-to-image": 512 * 64,
    "image-to-image": 48 * 32,
    "image-to-video": 64 * 48 * 25,
    "upscale": 48 * 32,
    "audio-to-text": 2 * 1000,
    "llm": 40,
    "segment-anything-2": 48 * 32,
    "image-to-text": 48 * 32,
    "text-to-speech": 1000 * len("héllo boats"),
}
"""payments.md §8 for the requests above: input image H × W, whole seconds × 1000, max_tokens,
1000 × characters (not UTF-8 bytes)."""

# --- the gateway side ---------------------------------------------------------------------


async def get_info(
    devnet: RunningDevnet, key: PrivateKey | None, pipeline: str, model: str
) -> pb.OrchestratorInfo:
    address, sig = sign_orchestrator_request(key) if key is not None else (b"", b"")
    caps = ai_discovery_capabilities(pipeline, model)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{devnet.port}") as channel:
        call: Callable[..., Awaitable[pb.OrchestratorInfo]] = channel.unary_unary(
            "/net.Orchestrator/GetOrchestrator",
            request_serializer=pb.OrchestratorRequest.SerializeToString,
            response_deserializer=pb.OrchestratorInfo.FromString,
        )
        return await call(build_orchestrator_request(address, sig, caps), timeout=5)


def payment(info: pb.OrchestratorInfo, key: PrivateKey, nonces: list[int]) -> pb.Payment:
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
    tickets = sign_tickets(key, params, key.address, nonces)
    echoed = pb.TicketParams()
    echoed.CopyFrom(wire)
    echoed.ClearField("expiration_params")
    return pb.Payment(
        ticket_params=echoed,
        sender=key.address,
        expiration_params=wire.expiration_params,
        ticket_sender_params=[
            pb.TicketSenderParams(sender_nonce=t.sender_nonce, sig=t.sig) for t in tickets
        ],
        expected_price=info.price_info,
    )


def headers(
    info: pb.OrchestratorInfo,
    pipeline: str,
    model: str,
    *,
    paid: pb.Payment | None = None,
    signer: PrivateKey | None = None,
) -> dict[str, str]:
    caps = ai_job_capabilities(pipeline, model, warm=True)
    segment = ai_segdata(pipeline, model, info.auth_token, caps, signer)
    return {
        "Livepeer-Segment": encode_segment(segment),
        "Livepeer-Payment": encode_payment(paid),
        "Authorization": AI_WORKER_AUTHORIZATION,
    }


async def post(
    http: httpx.AsyncClient,
    devnet: RunningDevnet,
    pipeline: str,
    model: str | None = None,
    **overrides: Any,
) -> httpx.Response:
    model = default(pipeline) if model is None else model
    info = await get_info(devnet, None, pipeline, model)
    kwargs = {**body_for(pipeline, model), **overrides}
    sent = {**headers(info, pipeline, model), **kwargs.pop("headers", {})}
    return await http.post(f"{devnet.url}{PIPELINES[pipeline].path}", headers=sent, **kwargs)


@pytest.fixture
def plain(fleet: dict[str, RunningDevnet]) -> RunningDevnet:
    return fleet["plain"]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20.0) as opened:
        yield opened


async def fetched(http: httpx.AsyncClient, url: str, content_type: str) -> bytes:
    response = await http.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    return response.content


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


# --- one test per pipeline ----------------------------------------------------------------


def test_every_declared_pipeline_has_a_devnet_worker() -> None:
    assert set(PLANNERS) == set(PIPELINES)


async def test_image_to_image_returns_real_pngs_at_the_input_size(
    plain: RunningDevnet, http: httpx.AsyncClient
) -> None:
    response = await post(http, plain, "image-to-image")

    assert response.status_code == 200, response.text
    [image] = response.json()["images"]
    assert image["url"].startswith(f"{plain.url}/stream/") and image["url"].endswith(".png")
    assert picture(await fetched(http, image["url"], "image/png")).size == (48, 32)


async def test_upscale_really_resizes(plain: RunningDevnet, http: httpx.AsyncClient) -> None:
    response = await post(http, plain, "upscale")

    assert response.status_code == 200, response.text
    [image] = response.json()["images"]
    assert picture(await fetched(http, image["url"], "image/png")).size == (192, 128)


async def test_image_to_video_is_a_real_mp4(plain: RunningDevnet, http: httpx.AsyncClient) -> None:
    response = await post(http, plain, "image-to-video")

    assert response.status_code == 200, response.text
    [video] = response.json()["images"]
    assert video["seed"] == 3 and video["url"].endswith(".mp4")
    data = await fetched(http, video["url"], "video/mp4")
    with av.open(io.BytesIO(data)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 25
    assert (frames[0].width, frames[0].height) == (64, 48)


async def test_audio_to_text_chunks_cover_the_real_duration(
    plain: RunningDevnet, http: httpx.AsyncClient
) -> None:
    response = await post(http, plain, "audio-to-text")

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["text"]
    assert [chunk["timestamp"] for chunk in result["chunks"]] == [[0, 1], [1, 2], [2, 2.5]]


async def test_llm_answers_whole(plain: RunningDevnet, http: httpx.AsyncClient) -> None:
    response = await post(http, plain, "llm")

    assert response.status_code == 200, response.text
    result = response.json()
    [choice] = result["choices"]
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    assert choice["finish_reason"] in ("stop", "length")
    assert result["model"] == default("llm")
    assert result["usage"]["prompt_tokens"] == 4


async def test_llm_streams_tokens_as_they_are_produced(
    plain: RunningDevnet, http: httpx.AsyncClient
) -> None:
    model = default("llm")
    info = await get_info(plain, None, "llm", model)
    body = {**body_for("llm", model)["json"], "stream": True}
    arrivals: list[tuple[float, str]] = []

    async with http.stream(
        "POST", f"{plain.url}/llm", json=body, headers=headers(info, "llm", model)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic(), line.removeprefix("data: ")))

    assert arrivals[-1][1] == "[DONE]"
    events = [json.loads(data) for _, data in arrivals[:-1]]
    tokens = [e["choices"][0]["delta"]["content"] for e in events if e["choices"][0]["delta"]]
    assert len(tokens) > 3 and all(event["id"] == events[0]["id"] for event in events)
    assert events[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    # 20 ms between tokens: the first reached us well before the last was produced.
    first, last = arrivals[0][0], arrivals[-2][0]
    assert last - first >= 0.02 * (len(events) - 1) * 0.8


async def test_segment_anything_2_masks_have_the_image_size(
    plain: RunningDevnet, http: httpx.AsyncClient
) -> None:
    response = await post(http, plain, "segment-anything-2")

    assert response.status_code == 200, response.text
    result = response.json()
    masks, scores = json.loads(result["masks"]), json.loads(result["scores"])
    assert len(masks) == len(scores) == 3
    assert (len(masks[0]), len(masks[0][0])) == (32, 48)
    assert len(json.loads(result["logits"])[0]) == 256


async def test_image_to_text_describes_the_image(
    plain: RunningDevnet, http: httpx.AsyncClient
) -> None:
    response = await post(http, plain, "image-to-text")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "text": "a photo of a wide 48x32 picture, mostly red, evenly lit",
    }


async def test_text_to_speech_is_a_real_wav(plain: RunningDevnet, http: httpx.AsyncClient) -> None:
    response = await post(http, plain, "text-to-speech")

    assert response.status_code == 200, response.text
    url = response.json()["audio"]["url"]
    assert url.endswith(".wav")
    with wave.open(io.BytesIO(await fetched(http, url, "audio/wav"))) as reader:
        seconds = reader.getnframes() / reader.getframerate()
    assert seconds == pytest.approx(len("héllo boats") * 0.06)


async def test_without_the_worker_authorization_media_are_data_urls(
    plain: RunningDevnet, http: httpx.AsyncClient
) -> None:
    response = await post(http, plain, "text-to-speech", headers={"Authorization": ""})

    assert response.json()["audio"]["url"].startswith("data:audio/wav;base64,")


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pipeline", "overrides", "text"),
    [
        pytest.param("llm", {"content": b"{not json"}, None, id="llm undecodable"),
        pytest.param("llm", {"json": {"messages": []}}, "messages must not be empty", id="llm"),
        pytest.param(
            "llm",
            {"json": {"messages": [{"role": "user", "content": "x"}], "max_tokens": None}},
            None,
            id="llm null max_tokens",
        ),
        pytest.param(
            "image-to-image", {"files": None, "json": {"prompt": "x"}}, None, id="json not form"
        ),
        pytest.param(
            "upscale",
            {"files": {"image": ("a.png", b"not an image", "image/png")}},
            None,
            id="not an image",
        ),
        pytest.param(
            "image-to-video",
            {"data": {"width": "wide"}},
            None,
            id="form field of the wrong type",
        ),
        pytest.param(
            "audio-to-text",
            {"files": {"audio": ("a.wav", b"RIFF nonsense", "audio/wav")}},
            None,
            id="not audio",
        ),
        pytest.param(
            "audio-to-text",
            {"files": {"audio": ("a.wav", wav(0.5), "audio/wav")}},
            "audio must last at least 1 s",
            id="audio under a second",
        ),
        pytest.param(
            "segment-anything-2",
            {"files": {"mask": ("m.txt", b"[]", "text/plain")}},
            "image: a non-empty file part is required",
            id="no image part",
        ),
        pytest.param("text-to-speech", {"json": {"text": 5}}, None, id="text not a string"),
    ],
)
async def test_bad_bodies_are_400(
    plain: RunningDevnet,
    http: httpx.AsyncClient,
    pipeline: str,
    overrides: dict[str, Any],
    text: str | None,
) -> None:
    response = await post(http, plain, pipeline, **overrides)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/plain")
    if text is not None:
        assert text in response.text


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
async def test_an_unserved_model_is_insufficient_capacity(
    plain: RunningDevnet, http: httpx.AsyncClient, pipeline: str
) -> None:
    info = await get_info(plain, None, pipeline, default(pipeline))
    segment = encode_segment(pb.SegData(auth_token=info.auth_token))
    kwargs = body_for(pipeline, "unknown/model")

    response = await http.post(
        f"{plain.url}{PIPELINES[pipeline].path}", headers={"Livepeer-Segment": segment}, **kwargs
    )

    assert (response.status_code, response.text) == (503, "insufficient capacity\n")


# --- payments -----------------------------------------------------------------------------


@pytest.fixture
def paid(fleet: dict[str, RunningDevnet]) -> RunningDevnet:
    return fleet["paid"]


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
async def test_each_pipeline_is_debited_in_its_units(
    paid: RunningDevnet, http: httpx.AsyncClient, pipeline: str
) -> None:
    gateway = PrivateKey.generate()
    model = default(pipeline)
    info = await get_info(paid, gateway, pipeline, model)
    sent = headers(info, pipeline, model, paid=payment(info, gateway, [1]), signer=gateway)

    response = await http.post(
        f"{paid.url}{PIPELINES[pipeline].path}", headers=sent, **body_for(pipeline, model)
    )

    assert response.status_code == 200, response.text
    ledger = (await http.get(f"{paid.url}/ledger")).json()
    entry = ledger["senders"][to_checksum(gateway.address)]
    assert Fraction(entry["debited"]) == PRICE * UNITS[pipeline]
    [bucket] = entry["buckets"]
    assert bucket == f"{int(PIPELINES[pipeline].capability)}_{model}"


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
async def test_unpaid_work_is_refused_on_the_paid_devnet(
    paid: RunningDevnet, http: httpx.AsyncClient, pipeline: str
) -> None:
    model = default(pipeline)
    info = await get_info(paid, PrivateKey.generate(), pipeline, model)

    response = await http.post(
        f"{paid.url}{PIPELINES[pipeline].path}",
        headers=headers(info, pipeline, model),
        **body_for(pipeline, model),
    )

    assert (response.status_code, response.text) == (400, "Insufficient balance\n")


def test_models_are_configurable_per_pipeline() -> None:
    served = load_settings(["--pipeline-models", "llm=a/b, c/d"]).served_models()

    assert served["llm"] == ["a/b", "c/d"]
    assert served["upscale"] == [default("upscale")]
    assert served["text-to-image"] == ["stabilityai/sdxl-turbo", "ByteDance/SDXL-Lightning"]
