"""Billing units per payments.md §8, in the orchestrator's units."""

from typing import Any

import pytest
from lpgw.pipelines import (
    NO_FACTS,
    PIPELINES,
    InputFacts,
    InputFactsMissing,
    InputRejected,
)

HELLO = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize(
    ("name", "fields", "facts", "units"),
    [
        pytest.param(
            "text-to-image",
            {"prompt": "x", "width": 1024, "height": 768, "num_images_per_prompt": 2},
            NO_FACTS,
            1_572_864,
            id="text-to-image: 1024x768x2 images",
        ),
        pytest.param(
            "text-to-image",
            {"prompt": "x"},
            NO_FACTS,
            262_144,
            id="text-to-image: defaults 512x512x1",
        ),
        pytest.param(
            "image-to-image",
            {"prompt": "x", "num_images_per_prompt": 3},
            InputFacts(width=800, height=600),
            1_440_000,
            id="image-to-image: input 800x600 x 3 images",
        ),
        pytest.param(
            "image-to-video",
            {},
            InputFacts(width=640, height=480),
            14_745_600,
            id="image-to-video: default 576x1024 x 25 frames, not the input's size",
        ),
        pytest.param(
            "image-to-video",
            {"width": 512, "height": 512},
            NO_FACTS,
            6_553_600,
            id="image-to-video: 512x512 x 25 frames",
        ),
        pytest.param(
            "upscale",
            {"prompt": "x"},
            InputFacts(width=256, height=128),
            32_768,
            id="upscale: input 256x128",
        ),
        pytest.param(
            "audio-to-text",
            {},
            InputFacts(duration_s=3),
            3000,
            id="audio-to-text: 3 s = 3000 ms",
        ),
        pytest.param(
            "llm",
            {"messages": HELLO},
            NO_FACTS,
            256,
            id="llm: default max_tokens",
        ),
        pytest.param(
            "llm",
            {"messages": HELLO, "max_tokens": 1000},
            NO_FACTS,
            1000,
            id="llm: max_tokens 1000",
        ),
        pytest.param(
            "segment-anything-2",
            {},
            InputFacts(width=1024, height=1024),
            1_048_576,
            id="segment-anything-2: input 1024x1024",
        ),
        pytest.param(
            "image-to-text",
            {},
            InputFacts(width=640, height=480),
            307_200,
            id="image-to-text: input 640x480",
        ),
        pytest.param(
            "text-to-speech",
            {"text": "héllo"},
            NO_FACTS,
            5000,
            id="text-to-speech: héllo is 5 characters (6 bytes) = 5000",
        ),
        pytest.param(
            "text-to-speech",
            {"text": "日本語👋🏽"},
            NO_FACTS,
            5000,
            id="text-to-speech: counts code points (Go runes), not bytes",
        ),
    ],
)
def test_units(
    parse: Any, name: str, fields: dict[str, Any], facts: InputFacts, units: int
) -> None:
    pipeline = PIPELINES[name]
    assert pipeline.units(parse(pipeline, fields), facts) == units


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        pytest.param("image-to-image", {"prompt": "x"}, id="image-to-image needs the image size"),
        pytest.param("upscale", {"prompt": "x"}, id="upscale needs the image size"),
        pytest.param("segment-anything-2", {}, id="segment-anything-2 needs the image size"),
        pytest.param("image-to-text", {}, id="image-to-text needs the image size"),
        pytest.param("audio-to-text", {}, id="audio-to-text needs the duration"),
    ],
)
def test_units_from_inputs_need_the_facts(parse: Any, name: str, fields: dict[str, Any]) -> None:
    pipeline = PIPELINES[name]
    with pytest.raises(InputFactsMissing):
        pipeline.units(parse(pipeline, fields), NO_FACTS)


def test_audio_under_one_second_is_refused(parse: Any) -> None:
    pipeline = PIPELINES["audio-to-text"]
    with pytest.raises(InputRejected):
        pipeline.units(parse(pipeline, {}), InputFacts(duration_s=0))


def test_units_refuse_another_pipelines_request(parse: Any) -> None:
    request = parse(PIPELINES["llm"], {"messages": HELLO})
    with pytest.raises(TypeError):
        PIPELINES["text-to-image"].units(request)


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param({"width": 0, "height": 10}, id="zero width"),
        pytest.param({"width": 10, "height": -1}, id="negative height"),
        pytest.param({"duration_s": -1}, id="negative duration"),
    ],
)
def test_facts_must_be_measurements(facts: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        InputFacts(**facts)
