"""Every declared pipeline end to end over a real NATS: a valid request becomes one job (model
resolved, the request forwarded with the reference's field names and defaults, the units the
orchestrator will charge, the uploads stored), and the session's result becomes the reply.
The test plays the session's part."""

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from lpgw.apikeys import ApiKeyStore
from lpgw.apikeys.tokens import format_key
from lpgw.blobs import BlobStore
from lpgw.bus import AiJob, BlobRef, JobError, JobResult
from lpgw.pipelines import DECLARED, InputFacts, by_path
from lpgw.pipelines.speech import DEFAULT_SPEAKER
from lpgw.state import Keys

pytestmark = pytest.mark.integration

MEDIA_BASE = "https://media.example"
WIDTH, HEIGHT = 64, 48
"""The input image of every image pipeline (units are height × width)."""
AUDIO_S = 2.5
"""The input audio: billed and announced as 2 whole seconds, as the reference's ffprobe."""
MESSAGES = [{"role": "user", "content": "hello"}]
SPEECH = "Hello there."

IMAGE_FILE = ("image", "in.png", "image/png")
AUDIO_FILE = ("audio", "in.wav", "audio/wav")


@dataclass(frozen=True)
class Case:
    """A valid request to one pipeline and what must come of it."""

    json_body: dict[str, Any] | None = None
    form: dict[str, str] = field(default_factory=dict)
    files: tuple[tuple[str, str, str], ...] = ()
    forwarded: dict[str, Any] = field(default_factory=dict)
    units: int = 0
    facts: InputFacts = field(default_factory=InputFacts)
    answer: dict[str, Any] = field(default_factory=dict)
    """What the session answers; `{job}` in urls is the job id."""


def images(ext: str = "png") -> dict[str, Any]:
    return {"images": [{"url": "/stream/{job}/0." + ext, "seed": 7, "nsfw": False}]}


IMAGE_FACTS = InputFacts(width=WIDTH, height=HEIGHT)
CASES: dict[str, Case] = {
    "text-to-image": Case(
        json_body={"prompt": "a cat"},
        forwarded={
            "model_id": "stabilityai/sdxl-turbo",
            "loras": "",
            "prompt": "a cat",
            "height": 512,
            "width": 512,
            "guidance_scale": 7.5,
            "negative_prompt": "",
            "safety_check": True,
            "num_inference_steps": 50,
            "num_images_per_prompt": 1,
        },
        units=512 * 512,
        answer=images(),
    ),
    "image-to-image": Case(
        form={"prompt": "a cat", "model_id": "", "num_images_per_prompt": "2", "seed": "42"},
        files=(IMAGE_FILE,),
        forwarded={
            "prompt": "a cat",
            "model_id": "stabilityai/sdxl-turbo",
            "loras": "",
            "strength": "0.8",
            "guidance_scale": "7.5",
            "image_guidance_scale": "1.5",
            "negative_prompt": "",
            "safety_check": "true",
            "seed": "42",
            "num_inference_steps": "100",
            "num_images_per_prompt": "2",
        },
        units=HEIGHT * WIDTH * 2,
        facts=IMAGE_FACTS,
        answer=images(),
    ),
    "image-to-video": Case(
        form={},
        files=(IMAGE_FILE,),
        forwarded={
            "model_id": "stabilityai/stable-video-diffusion-img2vid-xt",
            "height": "576",
            "width": "1024",
            "fps": "6",
            "motion_bucket_id": "127",
            "noise_aug_strength": "0.02",
            "safety_check": "true",
            "num_inference_steps": "25",
        },
        units=576 * 1024 * 25,
        facts=IMAGE_FACTS,
        answer=images("mp4"),
    ),
    "upscale": Case(
        form={"prompt": "sharper", "safety_check": "false"},
        files=(IMAGE_FILE,),
        forwarded={
            "prompt": "sharper",
            "model_id": "stabilityai/stable-diffusion-x4-upscaler",
            "safety_check": "false",
            "num_inference_steps": "75",
        },
        units=HEIGHT * WIDTH,
        facts=IMAGE_FACTS,
        answer=images(),
    ),
    "audio-to-text": Case(
        form={"return_timestamps": "word"},
        files=(AUDIO_FILE,),
        forwarded={
            "model_id": "openai/whisper-large-v3",
            "return_timestamps": "word",
            "metadata": json.dumps({"duration": "2"}),
        },
        units=2000,
        facts=InputFacts(duration_s=2),
        answer={"text": "hi", "chunks": [{"timestamp": [0.0, 1.0], "text": "hi"}]},
    ),
    "llm": Case(
        json_body={"messages": MESSAGES, "model": ""},
        forwarded={
            "messages": MESSAGES,
            "model": "meta-llama/llama-3.1-8B-Instruct",
            "temperature": 0.7,
            "max_tokens": 256,
            "top_p": 1.0,
            "top_k": -1,
            "stream": False,
        },
        units=256,
        answer={
            "id": "c1",
            "model": "meta-llama/llama-3.1-8B-Instruct",
            "created": 1,
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            "choices": [{"index": 0, "finish_reason": "stop", "message": MESSAGES[0]}],
        },
    ),
    "segment-anything-2": Case(
        form={"point_coords": "[[10, 20]]", "point_labels": "[1]", "multimask_output": "false"},
        files=(IMAGE_FILE,),
        forwarded={
            "model_id": "facebook/sam2-hiera-large",
            "point_coords": "[[10, 20]]",
            "point_labels": "[1]",
            "multimask_output": "false",
            "return_logits": "true",
            "normalize_coords": "true",
        },
        units=HEIGHT * WIDTH,
        facts=IMAGE_FACTS,
        answer={"masks": "[[[0]]]", "scores": "[0.9]", "logits": "[[[0.1]]]"},
    ),
    "image-to-text": Case(
        form={},
        files=(IMAGE_FILE,),
        forwarded={"prompt": "", "model_id": "Salesforce/blip-image-captioning-large"},
        units=HEIGHT * WIDTH,
        facts=IMAGE_FACTS,
        answer={"text": "an orange square"},
    ),
    "text-to-speech": Case(
        json_body={"text": SPEECH},
        forwarded={
            "model_id": "parler-tts/parler-tts-large-v1",
            "text": SPEECH,
            "description": DEFAULT_SPEAKER,
        },
        units=1000 * len(SPEECH),
        answer={"audio": {"url": "/stream/{job}/0.wav"}},
    ),
}


def test_every_declared_pipeline_has_a_case() -> None:
    assert sorted(CASES) == sorted(p.name for p in DECLARED)


def _with_job(value: Any, job_id: str, base: str = "") -> Any:
    """The answer with `{job}` filled in; media urls prefixed with `base`."""
    text = json.dumps(value).replace("/stream/{job}", base + "/stream/" + job_id)
    return json.loads(text)


async def answer_case(job: AiJob) -> JobResult:
    answer = _with_job(CASES[job.pipeline].answer, job.job_id)
    return JobResult(job_id=job.job_id, ok=True, response=answer, orchestrator="https://o")


def request_kwargs(case: Case, uploads: dict[str, bytes]) -> dict[str, Any]:
    if case.json_body is not None:
        return {"json": case.json_body}
    files = {part: (name, uploads[part], kind) for part, name, kind in case.files}
    return {"data": case.form, "files": files}


@pytest.mark.parametrize("pipeline", DECLARED, ids=[p.name for p in DECLARED])
async def test_a_valid_request_becomes_one_job_and_its_result(
    pipeline: Any,
    ai_intake: Any,
    play_session: Any,
    inputs_store: BlobStore,
    samples: Any,
) -> None:
    case = CASES[pipeline.name]
    uploads = {"image": samples.png(WIDTH, HEIGHT), "audio": samples.wav(AUDIO_S)}
    session = await play_session(answer_case)
    async with ai_intake() as intake:
        response = await intake.client.post(pipeline.path, **request_kwargs(case, uploads))
    job = await session.next_job()

    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == job.job_id
    assert response.headers["x-orchestrator-url"] == "https://o"
    assert response.json() == _with_job(case.answer, job.job_id, MEDIA_BASE)

    assert job.pipeline == pipeline.name
    assert job.model_id == pipeline.default_model
    assert job.request == case.forwarded
    assert job.units == case.units
    params = case.json_body if case.json_body is not None else case.form
    parsed = pipeline.request.model_validate(params)
    assert job.units == pipeline.units(parsed, case.facts)
    assert job.account == "anonymous"
    assert job.stream is False
    assert job.byoc is None

    assert sorted(job.inputs) == sorted(part for part, _, _ in case.files)
    for part, _, content_type in case.files:
        ref = job.inputs[part]
        assert "." in ref.key, "delivery serves no key with a dot"
        assert job.job_id in ref.key
        assert ref.content_type == content_type
        assert ref.size == len(uploads[part])
        assert await inputs_store.get(ref.key) == (uploads[part], content_type)


@pytest.mark.parametrize(
    ("path", "params", "configured", "model"),
    [
        pytest.param(
            "/text-to-image",
            {"prompt": "a", "model_id": "my/own"},
            {},
            "my/own",
            id="a named model is used as it is",
        ),
        pytest.param(
            "/text-to-image",
            {"prompt": "a", "model_id": ""},
            {"text-to-image": "my/default"},
            "my/default",
            id="an empty model_id takes the configured default",
        ),
        pytest.param(
            "/llm",
            {"messages": MESSAGES},
            {"llm": "my/llm"},
            "my/llm",
            id="llm names its model in `model`; absent takes the configured default",
        ),
        pytest.param(
            "/image-to-text",
            {"model_id": ""},
            {"text-to-image": "my/default"},
            "Salesforce/blip-image-captioning-large",
            id="another pipeline's default does not apply",
        ),
    ],
)
async def test_the_model_is_resolved_and_written_into_the_request(
    path: str,
    params: dict[str, Any],
    configured: dict[str, str],
    model: str,
    ai_intake: Any,
    play_session: Any,
    samples: Any,
) -> None:
    pipeline = by_path(path)
    session = await play_session(answer_case)
    async with ai_intake(intake_default_models=configured) as intake:
        if pipeline.body == "json":
            response = await intake.client.post(path, json=params)
        else:
            image = ("in.png", samples.png(WIDTH, HEIGHT), "image/png")
            response = await intake.client.post(path, data=params, files={"image": image})
    job = await session.next_job()
    assert response.status_code == 200, response.text
    assert job.model_id == model
    assert job.request[pipeline.model_field] == model


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        pytest.param(
            JobError(status=400, message="orchestrator https://o returned 400: bad image"),
            400,
            "orchestrator https://o returned 400: bad image",
            id="an orchestrator's 4xx keeps its status and message",
        ),
        pytest.param(
            JobError(status=503, message="no orchestrator available for upscale/m"),
            503,
            "no orchestrator available for upscale/m",
            id="503 says why",
        ),
        pytest.param(
            JobError(status=500, message="Traceback: session.py line 3"),
            500,
            "Internal Server Error (request {job})",
            id="a 500 is masked, with the request id",
        ),
    ],
)
async def test_a_failed_job_on_a_multipart_route(
    error: JobError,
    status: int,
    message: str,
    ai_intake: Any,
    play_session: Any,
    samples: Any,
) -> None:
    async def fail(job: AiJob) -> JobResult:
        return JobResult(job_id=job.job_id, ok=False, error=error)

    await play_session(fail)
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/upscale",
            data={"prompt": "p"},
            files={"image": ("in.png", samples.png(WIDTH, HEIGHT), "image/png")},
        )
    expected = message.format(job=response.headers["x-request-id"])
    assert response.status_code == status
    assert response.json() == {"error": {"message": expected}, "detail": {"msg": expected}}


async def test_a_response_stored_apart_is_read_back(
    ai_intake: Any, play_session: Any, inputs_store: Any, samples: Any
) -> None:
    """The session stores a response too large for a message as a blob and names it."""
    masks = "[" + ", ".join(["0.5"] * 200_000) + "]"

    async def answer(job: AiJob) -> JobResult:
        body = json.dumps({"masks": masks, "scores": "[1]", "logits": "[]"}).encode()
        blob = await inputs_store.put(f"res.{job.job_id}/response.json", body, "application/json")
        ref = BlobRef(key=blob.key, content_type=blob.content_type, size=blob.size, sha256="")
        return JobResult(job_id=job.job_id, ok=True, response_blob=ref)

    await play_session(answer)
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/segment-anything-2",
            files={"image": ("in.png", samples.png(WIDTH, HEIGHT), "image/png")},
        )
    assert response.status_code == 200, response.text[:200]
    assert response.json() == {"masks": masks, "scores": "[1]", "logits": "[]"}


async def test_a_response_stored_apart_but_lost_is_a_503(
    ai_intake: Any, play_session: Any, samples: Any
) -> None:
    async def answer(job: AiJob) -> JobResult:
        ref = BlobRef(key=f"res.{job.job_id}/gone.json", content_type="x", size=1, sha256="")
        return JobResult(job_id=job.job_id, ok=True, response_blob=ref)

    await play_session(answer)
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/image-to-text",
            files={"image": ("in.png", samples.png(WIDTH, HEIGHT), "image/png")},
        )
    assert response.status_code == 503
    assert "could not be read" in response.json()["detail"]["msg"]


# The key at the door ----------------------------------------------------------------------------


@pytest.fixture
async def api_key(redis: Any, prefix: str) -> tuple[str, str]:
    """(key id, the key as a client sends it)."""
    record, key = await ApiKeyStore(redis, Keys(prefix)).create("alice")
    return record.key_id, key.get_secret_value()


def _byoc_headers() -> dict[str, str]:
    job = {"request": "{}", "parameters": "{}", "capability": "echo", "timeout_seconds": 5}
    return {"Livepeer": base64.b64encode(json.dumps(job).encode()).decode()}


KEYED_ROUTES = [
    pytest.param("/text-to-image", {"json": {"prompt": "a"}}, id="an AI route"),
    pytest.param(
        "/process/request/echo",
        {"content": b"{}", "headers": {"content-type": "application/json"}},
        id="BYOC",
    ),
    pytest.param("/image-to-video/result", {"json": {"request_id": "x"}}, id="async results"),
]


@pytest.mark.parametrize(
    ("authorization", "challenge", "message"),
    [
        pytest.param(None, "Bearer", "missing API key", id="no key"),
        pytest.param("Basic dXNlcjpwYXNz", "Bearer", "unsupported authorization", id="not Bearer"),
        pytest.param(
            "Bearer lpgw_nope", 'Bearer error="invalid_token"', "invalid API key", id="not a key"
        ),
        pytest.param(
            "Bearer " + format_key("{key_id}", "W" * 43),
            'Bearer error="invalid_token"',
            "invalid API key",
            id="a real key id with the wrong secret",
        ),
    ],
)
@pytest.mark.parametrize(("path", "kwargs"), KEYED_ROUTES)
async def test_without_a_good_key_nothing_is_done(
    path: str,
    kwargs: dict[str, Any],
    authorization: str | None,
    challenge: str,
    message: str,
    ai_intake: Any,
    jobs_published: Any,
    api_key: tuple[str, str],
) -> None:
    headers = dict(kwargs.get("headers", {})) | _byoc_headers()
    if authorization is not None:
        headers["Authorization"] = authorization.format(key_id=api_key[0])
    async with ai_intake(intake_ai_auth="keys") as intake:
        response = await intake.client.post(path, **(kwargs | {"headers": headers}))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    body = response.json()
    assert message in body["error"]["message"]
    assert body["detail"] == {"msg": body["error"]["message"]}
    assert await jobs_published() == 0


async def test_a_good_key_names_the_account_of_every_job(
    ai_intake: Any,
    play_session: Any,
    api_key: tuple[str, str],
    samples: Any,
) -> None:
    key_id, key = api_key
    auth = {"Authorization": f"Bearer {key}"}

    async def answer(job: AiJob) -> JobResult | None:
        if job.pipeline == "byoc":
            return JobResult(job_id=job.job_id, ok=False, error=JobError(status=503, message="x"))
        if job.inbox == "async":
            return None
        return JobResult(job_id=job.job_id, ok=True, response={"images": []})

    session = await play_session(answer)
    async with ai_intake(intake_ai_auth="keys") as intake:
        client: httpx.AsyncClient = intake.client
        ai = await client.post("/text-to-image", json={"prompt": "a"}, headers=auth)
        assert ai.status_code == 200, ai.text
        assert (await session.next_job()).account == key_id

        byoc = await client.post(
            "/process/request/echo", content=b"{}", headers=auth | _byoc_headers()
        )
        assert byoc.status_code == 503, byoc.text
        assert (await session.next_job()).account == key_id

        accepted = await client.post(
            "/image-to-video",
            headers=auth | {"Prefer": "respond-async"},
            files={"image": ("in.png", samples.png(WIDTH, HEIGHT), "image/png")},
        )
        assert accepted.status_code == 202, accepted.text
        assert (await session.next_job()).account == key_id
        request_id = accepted.json()["request_id"]
        polled = await client.get(
            "/image-to-video/result", params={"request_id": request_id}, headers=auth
        )
        refused = await client.get("/image-to-video/result", params={"request_id": request_id})
    assert polled.status_code == 202
    assert polled.json() == {"status": "processing"}
    assert refused.status_code == 401
