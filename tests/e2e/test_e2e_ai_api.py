"""Every batch AI pipeline through the whole gateway, as an application sees it: intake,
selector, session, payment-signer and delivery as separate processes, devnet orchestrators on
the wire, tickets paid. One gateway serves the whole module (starting one takes seconds)."""

import asyncio
import base64
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
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from livepeer_ai import Livepeer
from livepeer_ai.models import errors
from lpgw.apikeys import ApiKeyStore, Spend, parse_key
from lpgw.pipelines import PIPELINES
from lpgw.stack.process import Supervisor
from lpgw.stack.topology import DevnetSpec, Gateway, Ports, start_devnet, start_gateway
from lpgw.state import Keys, connect
from PIL import Image

pytestmark = pytest.mark.integration

TIMEOUT = httpx.Timeout(90.0)
TOKEN_DELAY_MS = 150
CAPABILITY = "demo"


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
                flags=(
                    "--llm-token-delay-ms",
                    str(TOKEN_DELAY_MS),
                    "--byoc-capability",
                    CAPABILITY,
                    "--byoc-capacity",
                    "1",
                ),
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
            # the fuzzing below sends hundreds of requests with the one key
            overrides={"intake": {"INTAKE_API_KEY_RATE_PER_MINUTE": "0"}},
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


def test_an_answer_larger_than_a_bus_message_still_arrives(gateway: Gateway) -> None:
    """segment-anything-2's masks for a 1024 x 768 image are megabytes of text: more than a
    NATS message holds."""
    response = post_form(
        gateway,
        "/segment-anything-2",
        {"box": "[100, 100, 600, 500]"},
        {"image": ("big.png", png(1024, 768), "image/png")},
    )
    answer = parsed("/segment-anything-2", response)
    assert len(response.content) > 4 * 1024 * 1024
    assert json.loads(answer.scores)


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


# The livepeer-ai SDK, as an application written against a go-livepeer gateway uses it --------


@pytest.fixture(scope="module")
def sdk(gateway: Gateway) -> Livepeer:
    return Livepeer(server_url=gateway.intake_url, http_bearer=gateway.api_key, timeout_ms=90_000)


def sdk_file(name: str, content: bytes, content_type: str) -> dict[str, Any]:
    return {"file_name": name, "content": content, "content_type": content_type}


def test_sdk_text_to_image(sdk: Livepeer) -> None:
    result = sdk.generate.text_to_image(request={"prompt": "a kite", "width": 64, "height": 64})
    assert result.image_response is not None
    image = result.image_response.images[0]
    assert Image.open(io.BytesIO(fetch(image.url, "image/png"))).size == (64, 64)


def test_sdk_image_to_image(sdk: Livepeer) -> None:
    result = sdk.generate.image_to_image(
        request={"prompt": "green", "image": sdk_file("a.png", png(48, 32), "image/png")}
    )
    assert result.image_response is not None
    assert len(result.image_response.images) == 1


def test_sdk_image_to_video(sdk: Livepeer) -> None:
    result = sdk.generate.image_to_video(
        request={"image": sdk_file("a.png", png(64, 64), "image/png"), "width": 64, "height": 64}
    )
    assert result.video_response is not None
    fetch(result.video_response.images[0].url, "video/mp4")


def test_sdk_upscale(sdk: Livepeer) -> None:
    result = sdk.generate.upscale(
        request={"prompt": "crisp", "image": sdk_file("a.png", png(32, 32), "image/png")}
    )
    assert result.image_response is not None
    assert result.image_response.images[0].url.endswith(".png")


def test_sdk_audio_to_text(sdk: Livepeer) -> None:
    result = sdk.generate.audio_to_text(request={"audio": sdk_file("a.wav", wav(2.2), "audio/wav")})
    assert result.text_response is not None
    assert result.text_response.chunks


def test_sdk_llm(sdk: Livepeer) -> None:
    result = sdk.generate.llm(
        request={"messages": [{"role": "user", "content": "hello"}], "max_tokens": 12}
    )
    assert result.llm_response is not None
    assert result.llm_response.choices[0].message is not None


def test_sdk_segment_anything_2(sdk: Livepeer) -> None:
    result = sdk.generate.segment_anything2(
        request={"image": sdk_file("a.png", png(32, 32), "image/png"), "box": "[1, 1, 20, 20]"}
    )
    assert result.masks_response is not None
    assert result.masks_response.masks


def test_sdk_image_to_text(sdk: Livepeer) -> None:
    result = sdk.generate.image_to_text(
        request={"image": sdk_file("a.png", png(32, 32), "image/png")}
    )
    assert result.image_to_text_response is not None
    assert result.image_to_text_response.text


def test_sdk_text_to_speech(sdk: Livepeer) -> None:
    result = sdk.generate.text_to_speech(request={"text": "good morning"})
    assert result.audio_response is not None
    fetch(result.audio_response.audio.url, "audio/wav")


def test_sdk_live_video_to_video_gets_an_error_it_can_read(sdk: Livepeer) -> None:
    """The reference gateway does not serve this runner route to applications, nor do we: the
    SDK still gets a JSON error it parses, not an HTML page."""
    with pytest.raises(errors.SDKError) as raised:
        sdk.generate.live_video_to_video(
            request={"subscribe_url": "https://a/in", "publish_url": "https://a/out"}
        )
    assert raised.value.status_code == 404


def test_sdk_reads_our_400(sdk: Livepeer) -> None:
    with pytest.raises(errors.HTTPError) as raised:
        sdk.generate.image_to_image(
            request={"prompt": "p", "image": sdk_file("a.png", b"not an image", "image/png")}
        )
    assert "image" in raised.value.data.detail.msg


def test_sdk_reads_our_422(sdk: Livepeer) -> None:
    with pytest.raises(errors.HTTPValidationError) as raised:
        sdk.generate.text_to_speech(request={"text": ""})
    assert raised.value.data.detail
    assert raised.value.data.detail[0].loc[-1] == "text"


def test_sdk_with_a_wrong_key_gets_its_401_error(gateway: Gateway) -> None:
    wrong = Livepeer(server_url=gateway.intake_url, http_bearer="lpgw_000000000000_wrong")
    with pytest.raises(errors.HTTPError) as raised:
        wrong.generate.text_to_image(request={"prompt": "x"})
    assert "API key" in raised.value.data.detail.msg


# BYOC: a job for the devnet's demo container, as an application sends it ---------------------


def livepeer_header(capability: str = CAPABILITY, timeout_seconds: int = 30) -> str:
    job = {
        "request": "{}",
        "parameters": "{}",
        "capability": capability,
        "timeout_seconds": timeout_seconds,
    }
    return base64.b64encode(json.dumps(job).encode()).decode()


def byoc(gateway: Gateway, route: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{gateway.intake_url}/process/request/{route}",
        content=body,
        headers={**gateway.auth, "Livepeer": livepeer_header(), **headers},
        timeout=TIMEOUT,
    )


def test_byoc_job_is_signed_paid_forwarded_and_answered(gateway: Gateway) -> None:
    response = byoc(
        gateway, "echo", b'{"hello": "container"}', **{"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"hello": "container"}
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.headers["x-metadata"])["route"] == "echo"
    assert response.headers["x-orchestrator-url"] == gateway.orchestrators["orch"]
    assert int(response.headers["livepeer-balance"]) >= 0


def test_byoc_stream_reaches_the_client_as_the_container_writes_it(gateway: Gateway) -> None:
    body = json.dumps({"prompt": "one two three four five six", "delay_ms": 150}).encode()
    arrivals: list[tuple[float, str]] = []
    started = time.monotonic()
    with httpx.stream(
        "POST",
        f"{gateway.intake_url}/process/request/stream",
        content=body,
        headers={**gateway.auth, "Livepeer": livepeer_header()},
        timeout=TIMEOUT,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic() - started, line.removeprefix("data: ")))
    assert arrivals[-1][1] == "[DONE]"
    assert "balance" in json.loads(arrivals[-2][1])
    words = [json.loads(data)["token"] for _, data in arrivals[:-2]]
    assert words == ["one", "two", "three", "four", "five", "six"]
    assert arrivals[5][0] - arrivals[0][0] >= 4 * 0.150


def test_byoc_client_hanging_up_frees_the_container(gateway: Gateway) -> None:
    """The devnet's demo capability takes one job at a time: a job started after a client hung
    up on a long stream only runs if the gateway closed that stream's orchestrator call."""
    body = json.dumps({"prompt": "tick", "max_tokens": 400, "delay_ms": 100}).encode()
    with httpx.stream(
        "POST",
        f"{gateway.intake_url}/process/request/stream",
        content=body,
        headers={**gateway.auth, "Livepeer": livepeer_header()},
        timeout=TIMEOUT,
    ) as response:
        lines = response.iter_lines()
        assert next(line for line in lines if line.startswith("data: "))
    deadline = time.monotonic() + 15
    while True:
        echoed = byoc(gateway, "echo", b"again")
        if echoed.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert echoed.status_code == 200, echoed.text
    assert echoed.content == b"again"


def test_byoc_every_orchestrator_failing_is_an_error_with_reasons(gateway: Gateway) -> None:
    response = byoc(gateway, "fail", b"{}")
    assert response.status_code == 503
    message = response.json()["detail"]["msg"]
    assert gateway.orchestrators["orch"] in message and "500" in message


def test_byoc_capability_nobody_offers(gateway: Gateway) -> None:
    response = httpx.post(
        f"{gateway.intake_url}/process/request/echo",
        content=b"{}",
        headers={**gateway.auth, "Livepeer": livepeer_header(capability="nobody-has-it")},
        timeout=TIMEOUT,
    )
    assert response.status_code == 503
    assert "nobody-has-it" in response.json()["error"]["message"]


def test_byoc_needs_a_key_and_a_job_header(gateway: Gateway) -> None:
    url = f"{gateway.intake_url}/process/request/echo"
    assert httpx.post(url, content=b"{}", timeout=TIMEOUT).status_code == 401
    missing = httpx.post(url, content=b"{}", headers=gateway.auth, timeout=TIMEOUT)
    assert missing.status_code == 400
    assert "Livepeer" in missing.json()["error"]["message"]


# Every intake route against its own OpenAPI schema: whatever hypothesis makes of it --------

NO_ORCHESTRATOR = "no orchestrator available for "
"""A model nobody offers is a 503 by design (it may be offered at the next probe): not a crash."""


def test_no_route_answers_5xx_to_anything_its_schema_allows(gateway: Gateway) -> None:
    """Hypothesis makes requests from intake's own `/openapi.json` for every operation; none
    may get a 5xx (but the no-orchestrator 503), and every error carries the envelope."""
    schema = schemathesis.openapi.from_url(f"{gateway.intake_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {p.path for p in PIPELINES.values()}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
            database=None,
        )
        def fuzz(case: Any) -> None:
            response = case.call(headers=gateway.auth, timeout=60)
            where = (case.method, case.path, response.status_code, response.text[:300])
            if response.status_code == 503:
                assert NO_ORCHESTRATOR in response.text, where
                return
            assert response.status_code < 500, where
            declared = response.headers.get("content-type") or ""
            content_type = declared[0] if isinstance(declared, list) else declared
            is_json = content_type.startswith("application/json")
            if response.status_code >= 400 and is_json:  # HTTP push answers text, as the reference
                assert response.json()["error"]["message"], where

        fuzz()
