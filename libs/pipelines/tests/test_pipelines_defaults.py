"""A minimal request gets the reference's defaults (ai-api.md §3), and the model resolution
and forwarded body answer quirks 4, 9, 12 and 15."""

from typing import Any

import pytest
from lpgw.pipelines import PIPELINES

SPEAKER = (
    "A male speaker delivers a slightly expressive and animated speech with a moderate speed "
    "and pitch."
)
HELLO = [{"role": "user", "content": "hello"}]

DEFAULTS: list[Any] = [
    pytest.param(
        "text-to-image",
        {"prompt": "a cat"},
        {
            "model_id": "",
            "loras": "",
            "prompt": "a cat",
            "height": 512,
            "width": 512,
            "guidance_scale": 7.5,
            "negative_prompt": "",
            "safety_check": True,
            "seed": None,
            "num_inference_steps": 50,
            "num_images_per_prompt": 1,
        },
        id="text-to-image: 512x512 (quirk 9), one image, 50 steps",
    ),
    pytest.param(
        "image-to-image",
        {"prompt": "a cat"},
        {
            "prompt": "a cat",
            "model_id": "",
            "loras": "",
            "strength": 0.8,
            "guidance_scale": 7.5,
            "image_guidance_scale": 1.5,
            "negative_prompt": "",
            "safety_check": True,
            "seed": None,
            "num_inference_steps": 100,
            "num_images_per_prompt": 1,
        },
        id="image-to-image: strength 0.8, 100 steps",
    ),
    pytest.param(
        "image-to-video",
        {},
        {
            "model_id": "",
            "height": 576,
            "width": 1024,
            "fps": 6,
            "motion_bucket_id": 127,
            "noise_aug_strength": 0.02,
            "safety_check": True,
            "seed": None,
            "num_inference_steps": 25,
        },
        id="image-to-video: 576x1024, 6 fps, motion bucket 127",
    ),
    pytest.param(
        "upscale",
        {"prompt": "sharper"},
        {
            "prompt": "sharper",
            "model_id": "",
            "safety_check": True,
            "seed": None,
            "num_inference_steps": 75,
        },
        id="upscale: 75 steps",
    ),
    pytest.param(
        "audio-to-text",
        {},
        {"model_id": "", "return_timestamps": "true"},
        id="audio-to-text: timestamps true",
    ),
    pytest.param(
        "llm",
        {"messages": HELLO},
        {
            "messages": [{"role": "user", "content": "hello"}],
            "model": "",
            "temperature": 0.7,
            "max_tokens": 256,
            "top_p": 1.0,
            "top_k": -1,
            "stream": False,
        },
        id="llm: 256 max tokens, no stream",
    ),
    pytest.param(
        "segment-anything-2",
        {},
        {
            "model_id": "",
            "point_coords": None,
            "point_labels": None,
            "box": None,
            "mask_input": None,
            "multimask_output": True,
            "return_logits": True,
            "normalize_coords": True,
        },
        id="segment-anything-2: no prompts, three booleans true",
    ),
    pytest.param(
        "image-to-text",
        {},
        {"prompt": "", "model_id": ""},
        id="image-to-text: empty prompt",
    ),
    pytest.param(
        "text-to-speech",
        {"text": "hello"},
        {"model_id": "", "text": "hello", "description": SPEAKER},
        id="text-to-speech: the reference speaker description",
    ),
]


@pytest.mark.parametrize(("name", "fields", "expected"), DEFAULTS)
def test_minimal_request_gets_reference_defaults(
    parse: Any, name: str, fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    request = parse(PIPELINES[name], fields)
    assert request.model_dump() == expected


@pytest.mark.parametrize("name", list(PIPELINES))
@pytest.mark.parametrize("requested", [None, ""], ids=["absent", "empty (SDK default)"])
def test_absent_or_empty_model_resolves_to_the_default(
    parse: Any, name: str, requested: str | None
) -> None:
    pipeline = PIPELINES[name]
    fields = _minimal(name)
    if requested is not None:
        fields[pipeline.model_field] = requested
    request = parse(pipeline, fields)
    assert pipeline.resolve_model(request) == pipeline.default_model
    assert pipeline.resolve_model(request, {name: "operator/choice"}) == "operator/choice"


def test_a_named_model_is_kept(parse: Any) -> None:
    pipeline = PIPELINES["llm"]
    request = parse(pipeline, {"messages": HELLO, "model": "mine"})
    assert pipeline.resolve_model(request, {"llm": "operator/choice"}) == "mine"


def test_forwarded_body_is_explicit_and_carries_the_resolved_model(parse: Any) -> None:
    t2i = PIPELINES["text-to-image"]
    body = t2i.forwarded_fields(parse(t2i, {"prompt": "a cat", "model_id": ""}), "m/1")
    assert body["model_id"] == "m/1"
    assert (body["height"], body["width"], body["num_images_per_prompt"]) == (512, 512, 1)
    assert "seed" not in body

    llm = PIPELINES["llm"]
    body = llm.forwarded_fields(parse(llm, {"messages": HELLO}), "m/2")
    assert (body["model"], body["max_tokens"], body["stream"]) == ("m/2", 256, False)
    assert "model_id" not in body


def test_forwarded_form_is_text(parse: Any) -> None:
    pipeline = PIPELINES["image-to-video"]
    form = pipeline.forwarded_form(parse(pipeline, {"seed": 7, "safety_check": False}), "svd")
    assert form["model_id"] == "svd"
    assert form["seed"] == "7"
    assert form["safety_check"] == "false"
    assert form["noise_aug_strength"] == "0.02"


@pytest.mark.parametrize(
    ("fields", "streams"),
    [
        pytest.param({"messages": HELLO, "stream": True}, True, id="stream true: SSE"),
        pytest.param({"messages": HELLO, "stream": False}, False, id="stream false: JSON"),
        pytest.param({"messages": HELLO}, False, id="stream absent: JSON"),
    ],
)
def test_llm_streams_only_when_asked(parse: Any, fields: dict[str, Any], streams: bool) -> None:
    pipeline = PIPELINES["llm"]
    assert pipeline.wants_stream(parse(pipeline, fields)) is streams


def test_other_pipelines_never_stream(parse: Any) -> None:
    pipeline = PIPELINES["text-to-image"]
    assert pipeline.wants_stream(parse(pipeline, {"prompt": "x", "stream": True})) is False


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        pytest.param(0, 1, id="0 images means 1"),
        pytest.param(-3, 1, id="negative images mean 1"),
        pytest.param(4, 4, id="4 images kept"),
    ],
)
def test_images_per_prompt_below_one_means_one(parse: Any, given: int, sent: int) -> None:
    for name in ("text-to-image", "image-to-image"):
        fields = {"prompt": "x", "num_images_per_prompt": given}
        assert parse(PIPELINES[name], fields).num_images_per_prompt == sent


def _minimal(name: str) -> dict[str, Any]:
    for param in DEFAULTS:
        if param.values[0] == name:
            return dict(param.values[1])
    raise AssertionError(name)
