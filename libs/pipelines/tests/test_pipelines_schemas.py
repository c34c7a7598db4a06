"""JSON Schema for every request and response, with the reference's field names (ai-api.md
§2–3), and the asynchronous result shapes of image-to-video."""

from typing import Any

import pytest
from lpgw.pipelines import (
    PIPELINES,
    AsyncFailure,
    AsyncStatus,
    LLMResponse,
    VideoResponse,
)

REQUEST_FIELDS = {
    "text-to-image": (
        {"prompt"},
        "model_id loras prompt height width guidance_scale negative_prompt safety_check seed "
        "num_inference_steps num_images_per_prompt",
    ),
    "image-to-image": (
        {"prompt", "image"},
        "prompt image model_id loras strength guidance_scale image_guidance_scale "
        "negative_prompt safety_check seed num_inference_steps num_images_per_prompt",
    ),
    "image-to-video": (
        {"image"},
        "image model_id height width fps motion_bucket_id noise_aug_strength safety_check seed "
        "num_inference_steps",
    ),
    "upscale": ({"prompt", "image"}, "prompt image model_id safety_check seed num_inference_steps"),
    "audio-to-text": ({"audio"}, "audio model_id return_timestamps"),
    "llm": ({"messages"}, "messages model temperature max_tokens top_p top_k stream"),
    "segment-anything-2": (
        {"image"},
        "image model_id point_coords point_labels box mask_input multimask_output return_logits "
        "normalize_coords",
    ),
    "image-to-text": ({"image"}, "image prompt model_id"),
    "text-to-speech": ({"text"}, "model_id text description"),
}

RESPONSE_FIELDS = {
    "text-to-image": "images",
    "image-to-image": "images",
    "image-to-video": "images",
    "upscale": "images",
    "audio-to-text": "text chunks",
    "llm": "id model created usage choices",
    "segment-anything-2": "masks scores logits",
    "image-to-text": "text",
    "text-to-speech": "audio",
}


@pytest.mark.parametrize("name", list(PIPELINES))
def test_request_schema_has_the_reference_field_names(name: str) -> None:
    required, fields = REQUEST_FIELDS[name]
    schema = PIPELINES[name].request_schema()
    assert set(schema["properties"]) == set(fields.split())
    assert set(schema["required"]) == required
    for file in PIPELINES[name].files:
        assert schema["properties"][file.name] == {
            "type": "string",
            "format": "binary",
            "title": file.name.capitalize(),
            "description": file.description,
        }


@pytest.mark.parametrize("name", list(PIPELINES))
def test_response_schema_has_the_reference_field_names(name: str) -> None:
    schema = PIPELINES[name].response.model_json_schema()
    assert set(schema["properties"]) == set(RESPONSE_FIELDS[name].split())
    assert set(schema["required"]) == set(RESPONSE_FIELDS[name].split())


def test_schema_defaults_are_the_reference_defaults() -> None:
    t2i = PIPELINES["text-to-image"].request_schema()["properties"]
    assert (t2i["height"]["default"], t2i["width"]["default"]) == (512, 512)
    assert t2i["height"]["multipleOf"] == 8
    llm = PIPELINES["llm"].request_schema()["properties"]
    assert llm["max_tokens"]["default"] == 256
    assert llm["top_k"]["default"] == -1


def test_llm_stream_chunk_parses() -> None:
    chunk = LLMResponse.model_validate_json(
        '{"id": "c1", "model": "m", "created": 1, '
        '"usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}, '
        '"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}]}'
    )
    assert chunk.choices[0].finish_reason == ""
    assert chunk.choices[0].delta is not None and chunk.choices[0].delta.content == "Hi"
    assert chunk.choices[0].message is None


@pytest.mark.parametrize(
    ("body", "result"),
    [
        pytest.param({"status": "processing"}, type(None), id="processing"),
        pytest.param(
            {
                "status": "complete",
                "result": {"images": [{"url": "/stream/a/v.mp4", "seed": 1, "nsfw": False}]},
            },
            VideoResponse,
            id="complete with a video",
        ),
        pytest.param(
            {"status": "complete", "result": {"error": {"message": "orchestrator failed"}}},
            AsyncFailure,
            id="complete with an error",
        ),
    ],
)
def test_async_status_shapes(body: dict[str, Any], result: type) -> None:
    status = AsyncStatus.model_validate(body)
    assert isinstance(status.result, result)


def test_async_result_route() -> None:
    declared = PIPELINES["image-to-video"].async_result
    assert declared is not None
    assert declared.path == "/image-to-video/result"
    assert set(declared.methods) == {"GET", "POST"}
    assert declared.prefer == "respond-async"
    assert declared.poll.model_validate({"request_id": "0a1b2c3d"}).request_id == "0a1b2c3d"
    assert declared.accepted.model_json_schema()["required"] == ["request_id"]
