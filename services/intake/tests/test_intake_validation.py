"""What applications get for the bodies they send: accepted values, defaults, and errors."""

import json
from typing import Any

import pytest
from lpgw.intake.errors import InvalidRequest, MalformedJson
from lpgw.intake.schemas import TextToImageParams
from lpgw.intake.validation import parse_params


def parse(document: Any) -> TextToImageParams:
    return parse_params(TextToImageParams, json.dumps(document).encode())


@pytest.mark.parametrize(
    ("document", "field", "expected"),
    [
        pytest.param({"prompt": "a cat"}, "height", 512, id="absent height is 512 (reference)"),
        pytest.param({"prompt": "a cat"}, "width", 512, id="absent width is 512 (reference)"),
        pytest.param({"prompt": "a cat", "height": 1024}, "height", 1024, id="explicit height"),
        pytest.param({"prompt": "a cat"}, "num_images_per_prompt", 1, id="absent count is 1"),
        pytest.param(
            {"prompt": "a", "num_images_per_prompt": 0}, "num_images_per_prompt", 1, id="0 is 1"
        ),
        pytest.param(
            {"prompt": "a", "num_images_per_prompt": -3},
            "num_images_per_prompt",
            1,
            id="negative count is 1",
        ),
        pytest.param({"prompt": "a", "model_id": ""}, "model_id", "", id="empty model kept"),
        pytest.param({"prompt": "a", "seed": 42}, "seed", 42, id="seed passed"),
        pytest.param({"prompt": "a", "guidance_scale": 2}, "guidance_scale", 2.0, id="int scale"),
        pytest.param({"prompt": "a", "safety_check": False}, "safety_check", False, id="safety"),
        pytest.param({"prompt": "a", "loras": '{"x": 1}'}, "loras", '{"x": 1}', id="loras text"),
    ],
)
def test_accepted_values(document: dict[str, Any], field: str, expected: Any) -> None:
    assert getattr(parse(document), field) == expected


@pytest.mark.parametrize(
    ("document", "field"),
    [
        pytest.param({}, "prompt", id="prompt missing"),
        pytest.param({"prompt": ""}, "prompt", id="prompt empty"),
        pytest.param({"prompt": "   "}, "prompt", id="prompt blank"),
        pytest.param({"prompt": 5}, "prompt", id="prompt not a string"),
        pytest.param({"prompt": "a", "height": 32}, "height", id="height below 64"),
        pytest.param({"prompt": "a", "width": 4096}, "width", id="width above 2048"),
        pytest.param({"prompt": "a", "width": 500}, "width", id="width not a multiple of 8"),
        pytest.param({"prompt": "a", "height": "512"}, "height", id="height as a string"),
        pytest.param({"prompt": "a", "height": 512.5}, "height", id="height fractional"),
        pytest.param({"prompt": "a", "num_images_per_prompt": 5}, "num_images_per_prompt", id="5"),
        pytest.param({"prompt": "a", "num_inference_steps": 0}, "num_inference_steps", id="0 step"),
        pytest.param({"prompt": "a", "safety_check": "no"}, "safety_check", id="safety as text"),
        pytest.param({"prompt": "a", "model_id": 7}, "model_id", id="model not a string"),
    ],
)
def test_schema_violations_name_the_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse(document)
    assert [e.loc for e in caught.value.errors] == [("body", field)]
    assert field in str(caught.value)


def test_a_document_that_is_not_an_object_is_a_schema_violation() -> None:
    with pytest.raises(InvalidRequest):
        parse(["a cat"])


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{prompt: 'a'}", id="not json"),
        pytest.param(b'{"prompt": "a"', id="truncated"),
        pytest.param(b"\xff\xfe", id="not utf-8"),
        pytest.param(b"[" * 20_000, id="nested too deeply"),
        pytest.param(b'{"prompt": "x", "seed": 1' + b"0" * 5000 + b"}", id="number too long"),
    ],
)
def test_bytes_that_are_not_json_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedJson):
        parse_params(TextToImageParams, body)


def test_unknown_fields_are_ignored_and_never_forwarded() -> None:
    params = parse({"prompt": "a cat", "evil": "x", "callback_url": "http://x"})
    assert params.forwarded("m") == {
        "prompt": "a cat",
        "model_id": "m",
        "height": 512,
        "width": 512,
        "num_images_per_prompt": 1,
    }


def test_forwarded_body_keeps_what_the_application_set() -> None:
    params = parse({"prompt": "a", "seed": 7, "negative_prompt": "dogs", "width": 1024})
    body = params.forwarded("stabilityai/sdxl-turbo")
    assert body["seed"] == 7
    assert body["negative_prompt"] == "dogs"
    assert body["width"] == 1024
    assert body["model_id"] == "stabilityai/sdxl-turbo"
    assert "guidance_scale" not in body
