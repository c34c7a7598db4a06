"""The nine batch pipelines of ai-api.md §3 and the lookups over them.

Adding a pipeline is one more `Pipeline(...)` in `DECLARED`; the indexes are built from it.
"""

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from lpgw.pipelines.async_results import AsyncResult
from lpgw.pipelines.declaration import MP4, PNG, WAV, Pipeline
from lpgw.pipelines.diffusion import (
    ImageToImageParams,
    ImageToVideoParams,
    TextToImageParams,
    UpscaleParams,
    image_to_image_billing,
    image_to_video_billing,
    text_to_image_billing,
    upscale_billing,
)
from lpgw.pipelines.errors import DuplicatePipeline, UnknownPipeline
from lpgw.pipelines.inputs import (
    AUDIO_UPLOAD_BYTES,
    FORM_FIELDS_BYTES,
    IMAGE_UPLOAD_BYTES,
    MIB,
    audio_part,
    image_part,
)
from lpgw.pipelines.llm import LLMRequest, llm_billing
from lpgw.pipelines.responses import (
    AudioResponse,
    ImageResponse,
    ImageToTextResponse,
    LLMResponse,
    MasksResponse,
    TextResponse,
    VideoResponse,
)
from lpgw.pipelines.speech import (
    AudioToTextParams,
    TextToSpeechParams,
    audio_to_text_billing,
    audio_to_text_metadata,
    text_to_speech_billing,
)
from lpgw.pipelines.vision import (
    ImageToTextParams,
    SegmentAnything2Params,
    image_to_text_billing,
    segment_anything_2_billing,
)
from lpgw.wire.capabilities import Capability

JSON_BODY_BYTES = 1 * MIB
"""Prompts and speech text: far more than any model reads."""
LLM_BODY_BYTES = 4 * MIB
"""A full 128 Ki-token conversation is about 0.5 MiB of text; room for JSON escaping."""
IMAGE_FORM_BYTES = IMAGE_UPLOAD_BYTES + FORM_FIELDS_BYTES
AUDIO_FORM_BYTES = AUDIO_UPLOAD_BYTES + FORM_FIELDS_BYTES
SAM2_FORM_BYTES = IMAGE_UPLOAD_BYTES + 2 * MIB
"""`mask_input` is a 256 × 256 array as text (up to ~1 MiB) beside the points and box."""

DECLARED: tuple[Pipeline[Any], ...] = (
    Pipeline(
        name="text-to-image",
        path="/text-to-image",
        capability=Capability.TEXT_TO_IMAGE,
        body="json",
        request=TextToImageParams,
        response=ImageResponse,
        default_model="stabilityai/sdxl-turbo",
        max_request_bytes=JSON_BODY_BYTES,
        billing=text_to_image_billing,
        media=(PNG,),
        summary="Generate images from a text prompt",
    ),
    Pipeline(
        name="image-to-image",
        path="/image-to-image",
        capability=Capability.IMAGE_TO_IMAGE,
        body="multipart",
        request=ImageToImageParams,
        response=ImageResponse,
        default_model="stabilityai/sdxl-turbo",
        max_request_bytes=IMAGE_FORM_BYTES,
        billing=image_to_image_billing,
        files=(image_part(),),
        media=(PNG,),
        summary="Transform an image guided by a text prompt",
    ),
    Pipeline(
        name="image-to-video",
        path="/image-to-video",
        capability=Capability.IMAGE_TO_VIDEO,
        body="multipart",
        request=ImageToVideoParams,
        response=VideoResponse,
        default_model="stabilityai/stable-video-diffusion-img2vid-xt",
        max_request_bytes=IMAGE_FORM_BYTES,
        billing=image_to_video_billing,
        files=(image_part(),),
        media=(MP4,),
        async_result=AsyncResult(path="/image-to-video/result"),
        summary="Generate a short video from an image",
    ),
    Pipeline(
        name="upscale",
        path="/upscale",
        capability=Capability.UPSCALE,
        body="multipart",
        request=UpscaleParams,
        response=ImageResponse,
        default_model="stabilityai/stable-diffusion-x4-upscaler",
        max_request_bytes=IMAGE_FORM_BYTES,
        billing=upscale_billing,
        files=(image_part(),),
        media=(PNG,),
        summary="Upscale an image",
    ),
    Pipeline(
        name="audio-to-text",
        path="/audio-to-text",
        capability=Capability.AUDIO_TO_TEXT,
        body="multipart",
        request=AudioToTextParams,
        response=TextResponse,
        default_model="openai/whisper-large-v3",
        max_request_bytes=AUDIO_FORM_BYTES,
        billing=audio_to_text_billing,
        files=(audio_part(),),
        facts_fields=audio_to_text_metadata,
        summary="Transcribe audio",
    ),
    Pipeline(
        name="llm",
        path="/llm",
        capability=Capability.LLM,
        body="json",
        request=LLMRequest,
        response=LLMResponse,
        default_model="meta-llama/llama-3.1-8B-Instruct",
        max_request_bytes=LLM_BODY_BYTES,
        billing=llm_billing,
        streams=True,
        model_field="model",
        summary="Chat completion, whole or as server-sent events",
    ),
    Pipeline(
        name="segment-anything-2",
        path="/segment-anything-2",
        capability=Capability.SEGMENT_ANYTHING_2,
        body="multipart",
        request=SegmentAnything2Params,
        response=MasksResponse,
        default_model="facebook/sam2-hiera-large",
        max_request_bytes=SAM2_FORM_BYTES,
        billing=segment_anything_2_billing,
        files=(image_part(),),
        summary="Segment objects in an image",
    ),
    Pipeline(
        name="image-to-text",
        path="/image-to-text",
        capability=Capability.IMAGE_TO_TEXT,
        body="multipart",
        request=ImageToTextParams,
        response=ImageToTextResponse,
        default_model="Salesforce/blip-image-captioning-large",
        max_request_bytes=IMAGE_FORM_BYTES,
        billing=image_to_text_billing,
        files=(image_part(),),
        summary="Describe an image in text",
    ),
    Pipeline(
        name="text-to-speech",
        path="/text-to-speech",
        capability=Capability.TEXT_TO_SPEECH,
        body="json",
        request=TextToSpeechParams,
        response=AudioResponse,
        default_model="parler-tts/parler-tts-large-v1",
        max_request_bytes=JSON_BODY_BYTES,
        billing=text_to_speech_billing,
        media=(WAV,),
        summary="Speak a text",
    ),
)


def catalogue(pipelines: Iterable[Pipeline[Any]]) -> Mapping[str, Pipeline[Any]]:
    """Pipelines by name, read-only; names, paths and capabilities must each be unique."""
    by_name: dict[str, Pipeline[Any]] = {}
    paths: set[str] = set()
    capabilities: set[Capability] = set()
    for pipeline in pipelines:
        if pipeline.name in by_name:
            raise DuplicatePipeline(f"pipeline {pipeline.name!r} is declared twice")
        if pipeline.path in paths:
            raise DuplicatePipeline(f"path {pipeline.path!r} is declared twice")
        if pipeline.capability in capabilities:
            raise DuplicatePipeline(f"capability {pipeline.capability!r} is declared twice")
        by_name[pipeline.name] = pipeline
        paths.add(pipeline.path)
        capabilities.add(pipeline.capability)
    return MappingProxyType(by_name)


PIPELINES: Mapping[str, Pipeline[Any]] = catalogue(DECLARED)
_BY_PATH = MappingProxyType({p.path: p for p in PIPELINES.values()})
_BY_CAPABILITY = MappingProxyType({p.capability: p for p in PIPELINES.values()})


def by_path(path: str) -> Pipeline[Any]:
    """The pipeline served at exactly `path` (`/text-to-image`)."""
    try:
        return _BY_PATH[path]
    except KeyError:
        raise UnknownPipeline(f"no pipeline at {path!r}") from None


def by_capability(capability: int) -> Pipeline[Any]:
    """The pipeline of a capability id (27 → text-to-image)."""
    try:
        return _BY_CAPABILITY[Capability(capability)]
    except (KeyError, ValueError):
        raise UnknownPipeline(f"no pipeline for capability {capability}") from None
