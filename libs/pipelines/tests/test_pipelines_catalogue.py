"""The registry: nine pipelines, each found by name, path and capability."""

import dataclasses
import subprocess
import sys
from typing import Any

import pytest
from lpgw.pipelines import (
    DECLARED,
    PIPELINES,
    DuplicatePipeline,
    Pipeline,
    UnknownPipeline,
    by_capability,
    by_path,
    catalogue,
)
from lpgw.wire.capabilities import Capability, capability_for_pipeline, pipeline_for_capability

REFERENCE = [
    ("text-to-image", 27, "stabilityai/sdxl-turbo", "json"),
    ("image-to-image", 28, "stabilityai/sdxl-turbo", "multipart"),
    ("image-to-video", 29, "stabilityai/stable-video-diffusion-img2vid-xt", "multipart"),
    ("upscale", 30, "stabilityai/stable-diffusion-x4-upscaler", "multipart"),
    ("audio-to-text", 31, "openai/whisper-large-v3", "multipart"),
    ("segment-anything-2", 32, "facebook/sam2-hiera-large", "multipart"),
    ("llm", 33, "meta-llama/llama-3.1-8B-Instruct", "json"),
    ("image-to-text", 34, "Salesforce/blip-image-captioning-large", "multipart"),
    ("text-to-speech", 36, "parler-tts/parler-tts-large-v1", "json"),
]


def test_the_nine_batch_pipelines_are_declared() -> None:
    assert sorted(PIPELINES) == sorted(name for name, *_ in REFERENCE)


@pytest.mark.parametrize(("name", "capability", "model", "body"), REFERENCE, ids=lambda v: str(v))
def test_declaration_matches_the_reference(
    name: str, capability: int, model: str, body: str
) -> None:
    pipeline = PIPELINES[name]
    assert pipeline.path == f"/{name}"
    assert pipeline.capability == capability
    assert pipeline_for_capability(pipeline.capability) == name
    assert capability_for_pipeline(name) == pipeline.capability
    assert pipeline.default_model == model
    assert pipeline.body == body
    assert by_path(pipeline.path) is pipeline
    assert by_capability(capability) is pipeline
    assert pipeline.max_request_bytes > 0


@pytest.mark.parametrize("pipeline", DECLARED, ids=lambda p: p.name)
def test_multipart_pipelines_declare_their_file_parts(pipeline: Pipeline[Any]) -> None:
    names = {field.name for field in pipeline.files}
    if pipeline.body == "json":
        assert names == set()
    elif pipeline.name == "audio-to-text":
        assert names == {"audio"}
    else:
        assert names == {"image"}
    for field in pipeline.files:
        assert field.max_bytes < pipeline.max_request_bytes


@pytest.mark.parametrize(
    ("name", "media"),
    [
        pytest.param("text-to-image", ["image/png"], id="text-to-image returns PNG"),
        pytest.param("image-to-image", ["image/png"], id="image-to-image returns PNG"),
        pytest.param("upscale", ["image/png"], id="upscale returns PNG"),
        pytest.param("image-to-video", ["video/mp4"], id="image-to-video returns MP4"),
        pytest.param("text-to-speech", ["audio/wav"], id="text-to-speech returns WAV"),
        pytest.param("llm", [], id="llm returns no media"),
        pytest.param("audio-to-text", [], id="audio-to-text returns no media"),
        pytest.param("segment-anything-2", [], id="segment-anything-2 returns no media"),
        pytest.param("image-to-text", [], id="image-to-text returns no media"),
    ],
)
def test_result_media_kinds(name: str, media: list[str]) -> None:
    kinds = PIPELINES[name].media
    assert [kind.content_type for kind in kinds] == media
    assert all(kind.extension.startswith(".") for kind in kinds)


def test_only_llm_streams_and_only_image_to_video_has_an_async_result() -> None:
    assert [p.name for p in DECLARED if p.streams] == ["llm"]
    assert {p.name: p.async_result.path for p in DECLARED if p.async_result} == {
        "image-to-video": "/image-to-video/result"
    }


@pytest.mark.parametrize(
    "path", ["/live-video-to-video", "/text-to-image/", "text-to-image", "/image-to-video/result"]
)
def test_unknown_paths_are_refused(path: str) -> None:
    with pytest.raises(UnknownPipeline):
        by_path(path)


@pytest.mark.parametrize(
    "capability", [Capability.LIVE_VIDEO_TO_VIDEO, Capability.H264, Capability.BYOC, 999]
)
def test_capabilities_without_batch_pipeline_are_refused(capability: int) -> None:
    with pytest.raises(UnknownPipeline):
        by_capability(capability)


def test_a_tenth_pipeline_is_one_more_entry() -> None:
    tenth = dataclasses.replace(
        PIPELINES["text-to-image"],
        name="live-video-to-video",
        path="/live-video-to-video",
        capability=Capability.LIVE_VIDEO_TO_VIDEO,
    )
    indexed = catalogue((*DECLARED, tenth))
    assert len(indexed) == 10
    assert indexed["live-video-to-video"] is tenth


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"name": "llm"}, id="same name"),
        pytest.param({"name": "x", "path": "/llm"}, id="same path"),
        pytest.param({"name": "x", "path": "/x", "capability": Capability.LLM}, id="same cap"),
    ],
)
def test_overlapping_declarations_are_refused(change: dict[str, Any]) -> None:
    clash = dataclasses.replace(
        PIPELINES["text-to-speech"],
        **{"path": "/y", "capability": Capability.LIVE_VIDEO_TO_VIDEO, **change},
    )
    with pytest.raises(DuplicatePipeline):
        catalogue((*DECLARED, clash))


def test_the_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        PIPELINES["llm"] = PIPELINES["text-to-image"]  # type: ignore[index]


def test_importing_loads_no_io_or_media_library() -> None:
    code = (
        "import sys, lpgw.pipelines\n"
        "heavy = {'av', 'PIL', 'numpy', 'fastapi', 'starlette', 'httpx', 'nats', 'redis', 'grpc'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
