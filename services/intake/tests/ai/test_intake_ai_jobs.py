"""Building the job intake hands to the session: ids, input keys, the forwarded request, the
deadline; and the inputs stored where the session reads them (real NATS)."""

import hashlib
import json
import re

import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import AiJob, Bus, ByocSpec
from lpgw.intake.ai.jobs import (
    BYOC_PIPELINE,
    Upload,
    byoc_job,
    forwarded_request,
    input_key,
    new_job_id,
    pipeline_job,
    store_inputs,
)
from lpgw.pipelines import (
    AudioToTextParams,
    ImageToVideoParams,
    InputFacts,
    TextToImageParams,
    by_path,
)


def test_job_ids_are_16_hex_and_random() -> None:
    ids = {new_job_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{16}", job_id) for job_id in ids)


def test_a_job_id_is_a_valid_subject_token() -> None:
    job = pipeline_job(
        job_id=new_job_id(),
        inbox="inbox1",
        pipeline=by_path("/llm"),
        model="m",
        request={},
        inputs={},
        units=1,
        account="anonymous",
        stream=False,
        now=0.0,
        timeout_s=1.0,
    )
    assert AiJob.model_validate_json(job.model_dump_json()) == job


def test_input_keys_are_never_served_by_delivery() -> None:
    key = input_key("0123456789abcdef", "image")
    assert "." in key
    assert key.endswith("/image")
    assert "0123456789abcdef" in key
    assert input_key("0123456789abcdef", "audio") != key


def test_a_json_pipeline_forwards_every_field_with_the_model_written_in() -> None:
    params = TextToImageParams(prompt="a cat", width=768, seed=5)
    forwarded = forwarded_request(by_path("/text-to-image"), params, "my/model", InputFacts())
    assert forwarded == {
        "model_id": "my/model",
        "loras": "",
        "prompt": "a cat",
        "height": 512,
        "width": 768,
        "guidance_scale": 7.5,
        "negative_prompt": "",
        "safety_check": True,
        "seed": 5,
        "num_inference_steps": 50,
        "num_images_per_prompt": 1,
    }


def test_a_multipart_pipeline_forwards_text_fields() -> None:
    params = ImageToVideoParams(safety_check=False)
    forwarded = forwarded_request(by_path("/image-to-video"), params, "svd", InputFacts(64, 48))
    assert forwarded == {
        "model_id": "svd",
        "height": "576",
        "width": "1024",
        "fps": "6",
        "motion_bucket_id": "127",
        "noise_aug_strength": "0.02",
        "safety_check": "false",
        "num_inference_steps": "25",
    }
    assert all(isinstance(value, str) for value in forwarded.values())


def test_audio_to_text_forwards_the_measured_duration() -> None:
    forwarded = forwarded_request(
        by_path("/audio-to-text"), AudioToTextParams(), "whisper", InputFacts(duration_s=12)
    )
    assert forwarded == {
        "model_id": "whisper",
        "return_timestamps": "true",
        "metadata": json.dumps({"duration": "12"}),
    }


def test_the_deadline_is_when_intake_stops_waiting() -> None:
    job = pipeline_job(
        job_id="a" * 16,
        inbox="i",
        pipeline=by_path("/llm"),
        model="m",
        request={"model": "m"},
        inputs={},
        units=256,
        account="key1",
        stream=True,
        now=1000.0,
        timeout_s=120.0,
    )
    assert (job.pipeline, job.model_id, job.units, job.account, job.stream) == (
        "llm",
        "m",
        256,
        "key1",
        True,
    )
    assert (job.submitted_at, job.deadline) == (1000.0, 1120.0)


def test_a_byoc_job_is_streamed_and_named_by_its_capability() -> None:
    spec = ByocSpec(capability="echo", route="", request="{}", parameters="{}", timeout_seconds=5)
    job = byoc_job(
        job_id="b" * 16, inbox="i", spec=spec, inputs={}, account="a", now=10.0, timeout_s=15.0
    )
    assert (job.pipeline, job.model_id, job.stream, job.byoc) == (BYOC_PIPELINE, "echo", True, spec)
    assert job.request == {}
    assert job.deadline == 25.0


@pytest.mark.integration
async def test_inputs_are_stored_under_their_keys(bus: Bus) -> None:
    store = await BlobStore.open(bus.nc, bus.names, ttl_s=60)
    big = bytes(range(256)) * 8192  # 2 MiB: over one message, so in the large bucket
    files = {
        "image": Upload(b"\x89PNG small", "image/png", "in.png"),
        "body": Upload(big, "", "body"),
    }
    stored = await store_inputs(store, "c" * 16, files)
    assert sorted(stored) == ["body", "image"]
    assert stored["image"].key == input_key("c" * 16, "image")
    assert stored["image"].sha256 == hashlib.sha256(b"\x89PNG small").hexdigest()
    assert stored["body"].size == len(big)
    assert stored["body"].content_type == "application/octet-stream"
    assert await store.get(stored["image"].key) == (b"\x89PNG small", "image/png")
    assert await store.get(stored["body"].key) == (big, "application/octet-stream")
