"""Every batch AI pipeline through the whole gateway, as an application sees it: intake,
selector, session, payment-signer and delivery as separate processes, devnet orchestrators on
the wire, tickets paid. One gateway serves the whole module (starting one takes seconds)."""

import asyncio
import io
import json
import time
import uuid
import wave
from collections.abc import Iterator
from typing import Any

import av
import httpx
import pytest
from lpgw.apikeys import ApiKeyStore, Spend, parse_key
from lpgw.pipelines import PIPELINES
from lpgw.stack.process import Supervisor
from lpgw.stack.topology import DevnetSpec, Gateway, Ports, start_devnet, start_gateway
from lpgw.state import Keys, connect
from PIL import Image

pytestmark = pytest.mark.integration

TIMEOUT = httpx.Timeout(90.0)
TOKEN_DELAY_MS = 150


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, format="PNG")
    return out.getvalue()


def wav(seconds: float, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\x00\x10" * int(seconds * rate))
    return out.getvalue()


@pytest.fixture(scope="module")
def ai_prefix() -> str:
    return "ai" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def gateway(
    nats_url: str, redis_url: str, ai_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    root = tmp_path_factory.mktemp("ai-api")
    prefix = ai_prefix
    with Supervisor(log_dir=root / "logs") as processes:
        orchestrator = start_devnet(
            processes,
            DevnetSpec(
                "orch",
                price=1,
                flags=("--llm-token-delay-ms", str(TOKEN_DELAY_MS)),
            ),
        )
        running = start_gateway(
            processes,
            nats_url=nats_url,
            redis_url=redis_url,
            prefix=prefix,
            data_dir=root / "data",
            ports=Ports.free(),
            orchestrators=[orchestrator],
        )
        running.orchestrators = {"orch": orchestrator}
        wait_until_selectable(running)
        yield running


def wait_until_selectable(gateway: Gateway) -> None:
    """The selector probes at start; the first request may race it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = post_json(gateway, "/text-to-image", {"prompt": "p", "width": 64, "height": 64})
        if response.status_code == 200:
            return
        time.sleep(0.5)
    raise AssertionError("no orchestrator became selectable within 30 s")


def post_json(gateway: Gateway, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{gateway.intake_url}{path}", json=body, headers=gateway.auth, timeout=TIMEOUT
    )


def post_form(
    gateway: Gateway, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> httpx.Response:
    return httpx.post(
        f"{gateway.intake_url}{path}",
        data=fields,
        files=files,
        headers=gateway.auth,
        timeout=TIMEOUT,
    )


def fetch(url: str, content_type: str) -> bytes:
    media = httpx.get(url, timeout=TIMEOUT)
    assert media.status_code == 200, url
    assert media.headers["content-type"] == content_type
    return media.content


def parsed(path: str, response: httpx.Response) -> Any:
    """The answer, checked against the pipeline's declared response schema."""
    assert response.status_code == 200, response.text
    pipeline = next(p for p in PIPELINES.values() if p.path == path)
    return pipeline.response.model_validate(response.json())


def test_text_to_image_renders_the_requested_size(gateway: Gateway) -> None:
    response = post_json(
        gateway, "/text-to-image", {"prompt": "a red boat", "width": 192, "height": 128}
    )
    answer = parsed("/text-to-image", response)
    picture = Image.open(io.BytesIO(fetch(answer.images[0].url, "image/png")))
    assert picture.size == (192, 128)


def test_image_to_image_keeps_the_input_size(gateway: Gateway) -> None:
    response = post_form(
        gateway,
        "/image-to-image",
        {"prompt": "make it blue", "num_images_per_prompt": "2"},
        {"image": ("in.png", png(96, 64), "image/png")},
    )
    answer = parsed("/image-to-image", response)
    assert len(answer.images) == 2
    for image in answer.images:
        assert Image.open(io.BytesIO(fetch(image.url, "image/png"))).size == (96, 64)


def test_upscale_really_resizes(gateway: Gateway) -> None:
    response = post_form(
        gateway,
        "/upscale",
        {"prompt": "sharper"},
        {"image": ("small.png", png(40, 30), "image/png")},
    )
    answer = parsed("/upscale", response)
    picture = Image.open(io.BytesIO(fetch(answer.images[0].url, "image/png")))
    assert picture.size[0] > 40 and picture.size[1] > 30
    assert picture.size[0] * 30 == picture.size[1] * 40


def test_image_to_video_returns_a_playable_mp4(gateway: Gateway) -> None:
    response = post_form(
        gateway,
        "/image-to-video",
        {"width": "128", "height": "96", "fps": "6"},
        {"image": ("still.png", png(128, 96), "image/png")},
    )
    answer = parsed("/image-to-video", response)
    video = fetch(answer.images[0].url, "video/mp4")
    with av.open(io.BytesIO(video)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) >= 2
    assert (frames[0].width, frames[0].height) == (128, 96)


def test_image_to_video_asynchronously(gateway: Gateway) -> None:
    accepted = httpx.post(
        f"{gateway.intake_url}/image-to-video",
        data={"width": "64", "height": "64"},
        files={"image": ("still.png", png(64, 64), "image/png")},
        headers={**gateway.auth, "Prefer": "respond-async"},
        timeout=TIMEOUT,
    )
    assert accepted.status_code == 202, accepted.text
    request_id = accepted.json()["request_id"]
    deadline = time.monotonic() + 60
    while True:
        polled = httpx.get(
            f"{gateway.intake_url}/image-to-video/result",
            params={"request_id": request_id},
            headers=gateway.auth,
            timeout=TIMEOUT,
        )
        if polled.status_code == 200 or time.monotonic() > deadline:
            break
        assert polled.json() == {"status": "processing"}
        time.sleep(0.2)
    assert polled.status_code == 200, polled.text
    status = polled.json()
    assert status["status"] == "complete"
    fetch(status["result"]["images"][0]["url"], "video/mp4")


def test_audio_to_text_chunks_follow_the_audio(gateway: Gateway) -> None:
    response = post_form(
        gateway,
        "/audio-to-text",
        {"return_timestamps": "true"},
        {"audio": ("speech.wav", wav(4.5), "audio/wav")},
    )
    answer = parsed("/audio-to-text", response)
    assert answer.text
    assert answer.chunks
    assert answer.chunks[-1].timestamp[-1] == pytest.approx(4.5, abs=0.6)


def test_audio_shorter_than_a_second_is_refused(gateway: Gateway) -> None:
    response = post_form(
        gateway, "/audio-to-text", {}, {"audio": ("blip.wav", wav(0.4), "audio/wav")}
    )
    assert response.status_code == 400
    assert "at least 1 s" in response.json()["detail"]["msg"]


def test_llm_answers_json(gateway: Gateway) -> None:
    response = post_json(
        gateway,
        "/llm",
        {"messages": [{"role": "user", "content": "tell me about boats"}], "max_tokens": 16},
    )
    answer = parsed("/llm", response)
    assert answer.choices[0].message.content
    assert answer.usage.completion_tokens <= 16


def test_llm_streams_tokens_as_they_are_made(gateway: Gateway) -> None:
    body = {
        "messages": [{"role": "user", "content": "one two three four five six"}],
        "max_tokens": 8,
        "stream": True,
    }
    arrivals: list[tuple[float, str]] = []
    started = time.monotonic()
    with httpx.stream(
        "POST", f"{gateway.intake_url}/llm", json=body, headers=gateway.auth, timeout=TIMEOUT
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic() - started, line.removeprefix("data: ")))
    assert arrivals[-1][1] == "[DONE]"
    tokens = [json.loads(data) for _, data in arrivals[:-1]]
    assert len(tokens) >= 3
    assert all(t["choices"][0]["delta"]["content"] is not None for t in tokens[:-1])
    # The first token reached the client while the orchestrator was still producing the rest.
    first, last = arrivals[0][0], arrivals[-2][0]
    assert last - first >= (len(tokens) - 2) * TOKEN_DELAY_MS / 1000 * 0.5


def test_segment_anything_2_returns_masks(gateway: Gateway) -> None:
    response = post_form(
        gateway,
        "/segment-anything-2",
        {"point_coords": "[[10, 12]]", "point_labels": "[1]"},
        {"image": ("scene.png", png(64, 48), "image/png")},
    )
    answer = parsed("/segment-anything-2", response)
    assert answer.masks and answer.scores


def test_image_to_text_captions(gateway: Gateway) -> None:
    response = post_form(
        gateway, "/image-to-text", {"prompt": ""}, {"image": ("x.png", png(32, 32), "image/png")}
    )
    assert parsed("/image-to-text", response).text


def test_text_to_speech_returns_a_wav(gateway: Gateway) -> None:
    response = post_json(gateway, "/text-to-speech", {"text": "hello there, boats"})
    answer = parsed("/text-to-speech", response)
    audio = fetch(answer.audio.url, "audio/wav")
    with wave.open(io.BytesIO(audio)) as speech:
        assert speech.getnframes() > 0


def test_a_wrong_or_missing_key_is_refused(gateway: Gateway) -> None:
    for headers in ({}, {"Authorization": "Bearer lpgw_000000000000_nope"}):
        response = httpx.post(
            f"{gateway.intake_url}/text-to-image",
            json={"prompt": "x"},
            headers=headers,
            timeout=TIMEOUT,
        )
        assert response.status_code == 401
        body = response.json()
        assert body["error"]["message"] == body["detail"]["msg"]
        assert response.headers["www-authenticate"].startswith("Bearer")


async def spend_of(redis_url: str, prefix: str, key: str) -> Spend:
    redis = await connect(redis_url)
    try:
        return await ApiKeyStore(redis, Keys(prefix)).spend(parse_key(key).key_id)
    finally:
        await redis.aclose()


def test_spend_is_recorded_against_the_key(
    gateway: Gateway, redis_url: str, ai_prefix: str
) -> None:
    before = asyncio.run(spend_of(redis_url, ai_prefix, gateway.api_key))
    response = post_json(
        gateway, "/text-to-image", {"prompt": "count me", "width": 128, "height": 128}
    )
    assert response.status_code == 200
    after = asyncio.run(spend_of(redis_url, ai_prefix, gateway.api_key))
    assert after.payments == before.payments + 1
    assert after.wei - before.wei == 128 * 128  # one wei per pixel
