"""Bad values are refused with the field named (quirk 19), file parts are checked for
presence, size and type; good values of every form pass."""

from typing import Any

import pytest
from lpgw.pipelines import (
    PIPELINES,
    FileTooLarge,
    MissingFile,
    UnsupportedMediaType,
    UploadedFile,
)
from pydantic import ValidationError

HELLO = [{"role": "user", "content": "hello"}]
MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "fields", "field"),
    [
        pytest.param("text-to-image", {}, "prompt", id="t2i: prompt required"),
        pytest.param("text-to-image", {"prompt": "x", "height": 500}, "height", id="t2i: 8x"),
        pytest.param("text-to-image", {"prompt": "x", "width": 4096}, "width", id="t2i: max"),
        pytest.param("text-to-image", {"prompt": "x", "width": 56}, "width", id="t2i: min"),
        pytest.param(
            "text-to-image", {"prompt": "x", "height": "512"}, "height", id="t2i: JSON is typed"
        ),
        pytest.param(
            "text-to-image",
            {"prompt": "x", "num_images_per_prompt": 5},
            "num_images_per_prompt",
            id="t2i: at most 4 images",
        ),
        pytest.param(
            "text-to-image", {"prompt": "x", "loras": "{not json"}, "loras", id="t2i: loras JSON"
        ),
        pytest.param(
            "text-to-image",
            {"prompt": "x", "loras": '{"a": "heavy"}'},
            "loras",
            id="t2i: lora weights are numbers",
        ),
        pytest.param(
            "text-to-image",
            {"prompt": "x", "guidance_scale": -1},
            "guidance_scale",
            id="t2i: guidance not negative",
        ),
        pytest.param(
            "text-to-image",
            {"prompt": "x", "num_inference_steps": 0},
            "num_inference_steps",
            id="t2i: at least one step",
        ),
        pytest.param(
            "text-to-image",
            {"prompt": "x", "safety_check": "yes"},
            "safety_check",
            id="t2i: JSON booleans are booleans",
        ),
        pytest.param(
            "text-to-image", {"prompt": "x", "seed": 2**64}, "seed", id="t2i: seed fits 64 bits"
        ),
        pytest.param("image-to-image", {}, "prompt", id="i2i: prompt required"),
        pytest.param(
            "image-to-image", {"prompt": "x", "strength": 1.5}, "strength", id="i2i: strength<=1"
        ),
        pytest.param("image-to-image", {"prompt": "x", "seed": "abc"}, "seed", id="i2i: seed int"),
        pytest.param("image-to-video", {"fps": 0}, "fps", id="i2v: fps >= 1"),
        pytest.param(
            "image-to-video", {"motion_bucket_id": 256}, "motion_bucket_id", id="i2v: bucket<=255"
        ),
        pytest.param("image-to-video", {"height": 577}, "height", id="i2v: height 8x"),
        pytest.param("upscale", {}, "prompt", id="upscale: prompt required"),
        pytest.param(
            "audio-to-text",
            {"return_timestamps": "maybe"},
            "return_timestamps",
            id="a2t: timestamps true/sentence/false/word",
        ),
        pytest.param("llm", {}, "messages", id="llm: messages required"),
        pytest.param("llm", {"messages": []}, "messages", id="llm: messages non-empty"),
        pytest.param(
            "llm", {"messages": [{"role": "user"}]}, "messages", id="llm: message has content"
        ),
        pytest.param("llm", {"messages": HELLO, "model": None}, "model", id="llm: model not null"),
        pytest.param(
            "llm", {"messages": HELLO, "max_tokens": None}, "max_tokens", id="llm: max_tokens"
        ),
        pytest.param(
            "llm", {"messages": HELLO, "max_tokens": 0}, "max_tokens", id="llm: max_tokens >= 1"
        ),
        pytest.param(
            "llm",
            {"messages": HELLO, "max_tokens": 200_000},
            "max_tokens",
            id="llm: max_tokens within the context",
        ),
        pytest.param("llm", {"messages": HELLO, "stream": None}, "stream", id="llm: stream"),
        pytest.param("llm", {"messages": HELLO, "top_p": 0}, "top_p", id="llm: top_p > 0"),
        pytest.param("llm", {"messages": HELLO, "top_k": -2}, "top_k", id="llm: top_k >= -1"),
        pytest.param(
            "segment-anything-2",
            {"point_coords": "[[1, 2, 3]]", "point_labels": "[1]"},
            "point_coords",
            id="sam2: points are pairs",
        ),
        pytest.param(
            "segment-anything-2",
            {"point_coords": "nope", "point_labels": "[1]"},
            "point_coords",
            id="sam2: points are JSON",
        ),
        pytest.param(
            "segment-anything-2",
            {"point_coords": "[[1, 2]]", "point_labels": "[2]"},
            "point_labels",
            id="sam2: labels are 0 or 1",
        ),
        pytest.param("segment-anything-2", {"box": "[1, 2, 3]"}, "box", id="sam2: box has 4"),
        pytest.param(
            "segment-anything-2",
            {"point_coords": "[[1, 2]]"},
            None,
            id="sam2: points need labels",
        ),
        pytest.param(
            "segment-anything-2",
            {"point_coords": "[[1, 2], [3, 4]]", "point_labels": "[1]"},
            None,
            id="sam2: one label per point",
        ),
        pytest.param("text-to-speech", {}, "text", id="tts: text required"),
        pytest.param("text-to-speech", {"text": ""}, "text", id="tts: text not empty"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    parse: Any, name: str, fields: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(PIPELINES[name], fields)
    located = {error["loc"][0] if error["loc"] else None for error in caught.value.errors()}
    assert field in located


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        pytest.param("text-to-image", {"prompt": ""}, id="t2i: empty prompt, as the reference"),
        pytest.param(
            "text-to-image",
            {"prompt": "x", "loras": '{"lora/a": 0.5, "lora/b": 1}', "seed": 0},
            id="t2i: loras and seed",
        ),
        pytest.param(
            "text-to-image", {"prompt": "x", "guidance_scale": 7}, id="t2i: integer for a number"
        ),
        pytest.param("text-to-image", {"prompt": "x", "unknown": 1}, id="t2i: unknown ignored"),
        pytest.param(
            "image-to-image",
            {"prompt": "x", "num_inference_steps": "20", "safety_check": "false"},
            id="i2i: form text converted",
        ),
        pytest.param(
            "segment-anything-2",
            {
                "point_coords": "[[10, 20], [30.5, 40]]",
                "point_labels": "[1, 0]",
                "box": "[0, 0, 100, 100]",
                "mask_input": "[[[0.0]]]",
            },
            id="sam2: points, labels, box",
        ),
        pytest.param(
            "segment-anything-2", {"box": "[[0, 0, 1, 1], [2, 2, 3, 3]]"}, id="sam2: boxes"
        ),
        pytest.param("audio-to-text", {"return_timestamps": "word"}, id="a2t: word timestamps"),
        pytest.param(
            "llm",
            {"messages": HELLO, "stream": True, "temperature": 0, "top_k": 40},
            id="llm: streaming request",
        ),
    ],
)
def test_good_values_pass(parse: Any, name: str, fields: dict[str, Any]) -> None:
    parse(PIPELINES[name], fields)


IMAGE_PIPELINES = [n for n, p in PIPELINES.items() if p.files and p.files[0].name == "image"]


@pytest.mark.parametrize("name", IMAGE_PIPELINES)
def test_image_parts(name: str) -> None:
    pipeline = PIPELINES[name]
    assert pipeline.files[0].accepts("Image/WebP")
    assert not pipeline.files[0].accepts("application/octet-stream")
    pipeline.check_files({"image": UploadedFile("image/png", 1000)})
    pipeline.check_files({"image": UploadedFile("IMAGE/JPEG; q=1", 1000)})
    pipeline.check_files({"image": UploadedFile(None, 1000)})
    pipeline.check_files({"image": UploadedFile("application/octet-stream", 1000)})
    with pytest.raises(MissingFile):
        pipeline.check_files({})
    with pytest.raises(MissingFile):
        pipeline.check_files({"audio": UploadedFile("image/png", 1000)})
    with pytest.raises(UnsupportedMediaType):
        pipeline.check_files({"image": UploadedFile("text/plain", 1000)})
    with pytest.raises(FileTooLarge):
        pipeline.check_files({"image": UploadedFile("image/png", 16 * MIB + 1)})


def test_audio_part() -> None:
    pipeline = PIPELINES["audio-to-text"]
    for content_type in ("audio/wav", "audio/mpeg", "audio/flac", "video/mp4"):
        pipeline.check_files({"audio": UploadedFile(content_type, 1000)})
    with pytest.raises(UnsupportedMediaType) as caught:
        pipeline.check_files({"audio": UploadedFile("image/png", 1000)})
    assert caught.value.field == "audio"
    with pytest.raises(FileTooLarge):
        pipeline.check_files({"audio": UploadedFile("audio/wav", 32 * MIB + 1)})


def test_json_pipelines_take_no_files() -> None:
    for name in ("text-to-image", "llm", "text-to-speech"):
        PIPELINES[name].check_files({})
