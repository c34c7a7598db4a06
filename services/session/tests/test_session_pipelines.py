"""Every batch pipeline through the job handler, as intake hands them over.

Each job is built as intake builds it: the uploaded files stored in the blob store under
`in.{job}/{part}`, the forwarded fields from the pipeline's declaration (`forwarded_form` for a
multipart body, `forwarded_fields` for JSON) and the units from `Pipeline.units`. The handler
runs against real NATS, the blob store and an off-chain devnet orchestrator (which serves every
pipeline with small real outputs); the selector is a stub responder on the `select` subject.
"""

import hashlib
import io
import json
import math
import time
import wave
from array import array
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from lpgw.blobs import BlobStore
from lpgw.bus.events import (
    AiJob,
    BlobRef,
    JobResult,
    SelectionRequest,
)
from lpgw.devnet.launcher import RunningDevnet
from lpgw.pipelines import MP4, NO_FACTS, PIPELINES, PNG, WAV, InputFacts, MediaKind
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.keepalive import Progress
from PIL import Image

pytestmark = pytest.mark.integration

INBOX = "intake1"
IMAGE_SIZE = (48, 32)
"""(width, height) of the input image."""


# --- inputs ---------------------------------------------------------------------------------


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
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


IMAGE = {"image": (png(*IMAGE_SIZE), "image/png")}
IMAGE_FACTS = InputFacts(width=IMAGE_SIZE[0], height=IMAGE_SIZE[1])


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def is_mp4(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def is_wav(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WAVE"


@dataclass(frozen=True)
class Case:
    """One pipeline's request as the application sends it, and what its result holds."""

    pipeline: str
    params: dict[str, Any]
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    facts: InputFacts = NO_FACTS
    media: MediaKind | None = None
    check_media: Callable[[bytes], bool] = lambda _: True
    check_response: Callable[[dict[str, Any]], bool] = lambda _: True


CASES = [
    pytest.param(
        Case(
            "text-to-image",
            {"prompt": "a boat", "width": 96, "height": 64, "num_images_per_prompt": 2},
            media=PNG,
            check_media=lambda data: image_size(data) == (96, 64),
        ),
        id="text-to-image: two PNGs of the asked size",
    ),
    pytest.param(
        Case(
            "image-to-image",
            {"prompt": "a boat"},
            IMAGE,
            IMAGE_FACTS,
            PNG,
            check_media=lambda data: image_size(data) == IMAGE_SIZE,
        ),
        id="image-to-image: a PNG of the input's size",
    ),
    pytest.param(
        Case(
            "upscale",
            {"prompt": "sharper"},
            IMAGE,
            IMAGE_FACTS,
            PNG,
            check_media=lambda data: image_size(data) == (4 * IMAGE_SIZE[0], 4 * IMAGE_SIZE[1]),
        ),
        id="upscale: a PNG four times the input",
    ),
    pytest.param(
        Case(
            "image-to-video",
            {"width": 96, "height": 64, "fps": 8, "seed": 3},
            IMAGE,
            IMAGE_FACTS,
            MP4,
            check_media=is_mp4,
        ),
        id="image-to-video: an MP4",
    ),
    pytest.param(
        Case(
            "audio-to-text",
            {"return_timestamps": "true"},
            {"audio": (wav(2.5), "audio/wav")},
            InputFacts(duration_s=2),
            check_response=lambda answer: bool(answer["text"]) and bool(answer["chunks"]),
        ),
        id="audio-to-text: text and timed chunks",
    ),
    pytest.param(
        Case(
            "segment-anything-2",
            {"point_coords": "[[10, 10]]", "point_labels": "[1]"},
            IMAGE,
            IMAGE_FACTS,
            check_response=lambda answer: all(answer[k] for k in ("masks", "scores", "logits")),
        ),
        id="segment-anything-2: masks, scores and logits",
    ),
    pytest.param(
        Case(
            "image-to-text",
            {"prompt": "a photo of"},
            IMAGE,
            IMAGE_FACTS,
            check_response=lambda answer: answer["text"].startswith("a photo of"),
        ),
        id="image-to-text: a caption after the prompt",
    ),
    pytest.param(
        Case("text-to-speech", {"text": "hello boats"}, media=WAV, check_media=is_wav),
        id="text-to-speech: JSON in, a WAV out",
    ),
    pytest.param(
        Case(
            "llm",
            {"messages": [{"role": "user", "content": "tell me about boats"}], "max_tokens": 8},
            check_response=lambda answer: bool(answer["choices"][0]["message"]["content"]),
        ),
        id="llm: a whole chat completion",
    ),
]


async def stored_job(media: BlobStore, job_id: str, case: Case, store: bool = True) -> AiJob:
    """The job as intake makes it: files stored, fields forwarded, units billed (`store`
    False: the job names its files, but they are not in the store)."""
    pipeline = PIPELINES[case.pipeline]
    params = pipeline.request.model_validate(case.params)
    model = pipeline.resolve_model(params)
    if pipeline.body == "multipart":
        request: dict[str, Any] = dict(pipeline.forwarded_form(params, model, case.facts))
    else:
        request = pipeline.forwarded_fields(params, model)
    inputs = {}
    for part, (data, content_type) in case.files.items():
        key = f"in.{job_id}/{part}"
        if store:
            await media.put(key, data, content_type)
        inputs[part] = BlobRef(
            key=key,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
    now = time.time()
    return AiJob(
        inbox=INBOX,
        job_id=job_id,
        pipeline=pipeline.name,
        model_id=model,
        request=request,
        inputs=inputs,
        units=pipeline.units(params, case.facts),
        submitted_at=now,
        deadline=now + 30,
    )


# --- the gateway around the job runner ------------------------------------------------------


@pytest.fixture
def runner(make_runner: Callable[..., JobRunner]) -> JobRunner:
    return make_runner(
        limits=JobLimits(max_attempts=2, keepalive_s=1),
        max_response_bytes=8 << 20,
        media_timeout_s=5,
    )


def media_urls(response: dict[str, Any], kind: MediaKind) -> list[str]:
    if kind is WAV:
        return [response["audio"]["url"]]
    return [image["url"] for image in response["images"]]


# --- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
async def test_every_pipeline_answers_and_its_media_are_stored(
    runner: JobRunner,
    media: BlobStore,
    devnet: RunningDevnet,
    offered: list[str],
    selection_requests: list[SelectionRequest],
    case: Case,
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> None:
    offered[:] = [devnet.url]
    pipeline = PIPELINES[case.pipeline]
    job_id = "j" + hashlib.sha256(case.pipeline.encode()).hexdigest()[:12]
    job = await stored_job(media, job_id, case)

    await runner.handle(job, delivery())

    result = await result_of(job_id)
    assert result.ok, result.error
    assert (result.orchestrator, result.attempts) == (devnet.url, 1)
    response = result.response
    if result.response_blob is not None:  # too large for a message (segment-anything-2)
        response = json.loads((await media.get(result.response_blob.key))[0])
    assert response is not None
    pipeline.response.model_validate(response)
    assert case.check_response(response)
    assert [(a.pipeline, a.model_id, a.capability) for a in selection_requests] == [
        (pipeline.name, pipeline.default_model, int(pipeline.capability))
    ]
    if case.media is None:
        assert result.media == []
        return
    kind = case.media
    count = int(case.params.get("num_images_per_prompt", 1))
    keys = [f"{job_id}/{n}{kind.extension}" for n in range(count)]
    assert [m.key for m in result.media] == keys
    assert media_urls(response, kind) == [f"/stream/{key}" for key in keys]
    for ref in result.media:
        data, content_type = await media.get(ref.key)
        assert content_type == ref.content_type == kind.content_type
        assert (len(data), hashlib.sha256(data).hexdigest()) == (ref.size, ref.sha256)
        assert case.check_media(data), f"{ref.key} is not the expected {kind.content_type}"


@pytest.mark.parametrize(
    ("case", "part"),
    [
        pytest.param(Case("image-to-image", {"prompt": "a boat"}, IMAGE, IMAGE_FACTS), "image"),
        pytest.param(
            Case("audio-to-text", {}, {"audio": (wav(1.5), "audio/wav")}, InputFacts(duration_s=1)),
            "audio",
        ),
    ],
    ids=["an image", "an audio file"],
)
async def test_a_job_whose_input_is_no_longer_stored_is_a_503(
    runner: JobRunner,
    media: BlobStore,
    devnet: RunningDevnet,
    offered: list[str],
    selection_requests: list[SelectionRequest],
    case: Case,
    part: str,
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> None:
    offered[:] = [devnet.url]
    job = await stored_job(media, "lost1", case, store=False)

    await runner.handle(job, delivery())

    result = await result_of("lost1")
    assert not result.ok and result.error is not None
    assert result.error.status == 503
    assert result.error.message == f"the request's {part} is no longer stored"
    assert result.attempts == 0
    assert selection_requests == [], "no orchestrator is looked for"
