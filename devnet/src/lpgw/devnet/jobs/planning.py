"""Per pipeline: the job's size checks, the facts its units need, and its output generator.

A planner reads the decoded request (an instance of the declared model) and its files, refuses
what the devnet will not serve (InvalidParameters, HTTP 400, wire.md §7.4 step 3), measures
the inputs billing needs (image size from the header, audio duration by decoding), and returns
the request as billed (defaults normalised) with a blocking `produce` for step 8. Units are
then the declaration's: `pipeline.units(plan.request, plan.facts)`.
"""

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lpgw.devnet.ai.audio_to_text import TIMESTAMP_MODES, audio_duration_s, audio_to_text
from lpgw.devnet.ai.errors import InvalidPrompt
from lpgw.devnet.ai.image_files import image_size
from lpgw.devnet.ai.image_to_image import image_to_image
from lpgw.devnet.ai.image_to_text import image_to_text
from lpgw.devnet.ai.image_to_video import image_to_video
from lpgw.devnet.ai.llm import check_request, llm_response, llm_sse
from lpgw.devnet.ai.segment_anything import segment_anything_2
from lpgw.devnet.ai.text_to_speech import MAX_CHARACTERS, text_to_speech
from lpgw.devnet.ai.upscale import upscale, upscaled_size
from lpgw.devnet.errors import InvalidParameters
from lpgw.devnet.images import render_png
from lpgw.devnet.jobs.answers import (
    AudioOutput,
    DocumentOutput,
    EventStreamOutput,
    MediaOutput,
    Output,
)
from lpgw.pipelines import MP4, NO_FACTS, PNG, WAV, InputFacts
from pydantic import BaseModel

MAX_IMAGES = 8
"""Images per request the devnet renders (text-to-image, image-to-image)."""


@dataclass(frozen=True)
class Limits:
    max_image_side: int


@dataclass(frozen=True)
class Plan:
    request: BaseModel
    facts: InputFacts
    produce: Callable[[], Output]


Planner = Callable[[Any, Mapping[str, bytes], Limits], Plan]


def _file(files: Mapping[str, bytes], name: str) -> bytes:
    data = files.get(name)
    if not data:
        raise InvalidParameters(f"{name}: a non-empty file part is required")
    return data


def _seed(requested: int | None) -> int:
    return secrets.randbelow(2**32) if requested is None else requested


def _count(requested: int) -> int:
    count = max(requested, 1)
    if count > MAX_IMAGES:
        raise InvalidParameters(f"num_images_per_prompt must be at most {MAX_IMAGES}")
    return count


def _image_facts(image: bytes) -> InputFacts:
    width, height = image_size(image)
    return InputFacts(width=width, height=height)


def text_to_image_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    """Sizes at most `--max-image-side`, 1…MAX_IMAGES images; image n uses seed + n."""
    for name, side in (("width", request.width), ("height", request.height)):
        if not 0 < side <= limits.max_image_side:
            raise InvalidParameters(f"{name} must be between 1 and {limits.max_image_side}")
    count = _count(request.num_images_per_prompt)
    seeds = tuple(_seed(request.seed) + n for n in range(count))
    prompt, width, height = request.prompt, request.width, request.height

    def produce() -> Output:
        pngs = tuple(render_png(prompt, seed, width, height) for seed in seeds)
        return MediaOutput(pngs, PNG, seeds)

    billed = request.model_copy(update={"num_images_per_prompt": count})
    return Plan(billed, NO_FACTS, produce)


def image_to_image_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    image = _file(files, "image")
    facts = _image_facts(image)
    count = _count(request.num_images_per_prompt)
    seed = _seed(request.seed)
    seeds = tuple(seed + n for n in range(count))

    def produce() -> Output:
        pngs = image_to_image(
            image, request.prompt, seed, num_images=count, strength=request.strength
        )
        return MediaOutput(tuple(pngs), PNG, seeds)

    return Plan(request.model_copy(update={"num_images_per_prompt": count}), facts, produce)


def image_to_video_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    image = _file(files, "image")
    _image_facts(image)  # an undecodable image is refused before payment
    seed = _seed(request.seed)

    def produce() -> Output:
        video = image_to_video(
            image, seed, width=request.width, height=request.height, fps=request.fps
        )
        return MediaOutput((video,), MP4, (seed,))

    return Plan(request, NO_FACTS, produce)


def upscale_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    image = _file(files, "image")
    facts = _image_facts(image)
    assert facts.width is not None and facts.height is not None
    upscaled_size(facts.width, facts.height)  # too large an output is refused before payment
    seed = _seed(request.seed)
    return Plan(request, facts, lambda: MediaOutput((upscale(image),), PNG, (seed,)))


def audio_to_text_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    """Units from the duration PyAV decodes, in whole seconds (the reference's ffprobe)."""
    audio = _file(files, "audio")
    mode = request.return_timestamps
    if mode not in TIMESTAMP_MODES:
        raise InvalidPrompt(f"return_timestamps must be one of {', '.join(TIMESTAMP_MODES)}")
    facts = InputFacts(duration_s=int(audio_duration_s(audio)))
    return Plan(
        request, facts, lambda: DocumentOutput(audio_to_text(audio, return_timestamps=mode))
    )


def llm_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    """Whole LLMResponse, or SSE frames ending with `data: [DONE]` when `stream` is true."""
    messages = [message.model_dump() for message in request.messages]
    check_request(messages, request.max_tokens)
    shape: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "response_id": f"chatcmpl-{secrets.token_hex(8)}",
        "created": int(time.time()),
    }
    if request.stream:
        return Plan(request, NO_FACTS, lambda: EventStreamOutput(llm_sse(messages, **shape)))
    return Plan(request, NO_FACTS, lambda: DocumentOutput(llm_response(messages, **shape)))


def segment_anything_2_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    image = _file(files, "image")

    def produce() -> Output:
        return DocumentOutput(
            dict(
                segment_anything_2(
                    image,
                    point_coords=request.point_coords,
                    point_labels=request.point_labels,
                    box=request.box,
                    multimask_output=request.multimask_output,
                    return_logits=request.return_logits,
                    normalize_coords=request.normalize_coords,
                )
            )
        )

    return Plan(request, _image_facts(image), produce)


def image_to_text_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    image = _file(files, "image")
    facts = _image_facts(image)
    return Plan(request, facts, lambda: DocumentOutput(dict(image_to_text(image, request.prompt))))


def text_to_speech_plan(request: Any, files: Mapping[str, bytes], limits: Limits) -> Plan:
    if len(request.text) > MAX_CHARACTERS:
        raise InvalidPrompt(f"text must be at most {MAX_CHARACTERS} characters")

    def produce() -> Output:
        return AudioOutput(text_to_speech(request.text, request.description), WAV)

    return Plan(request, NO_FACTS, produce)


PLANNERS: Mapping[str, Planner] = {
    "text-to-image": text_to_image_plan,
    "image-to-image": image_to_image_plan,
    "image-to-video": image_to_video_plan,
    "upscale": upscale_plan,
    "audio-to-text": audio_to_text_plan,
    "llm": llm_plan,
    "segment-anything-2": segment_anything_2_plan,
    "image-to-text": image_to_text_plan,
    "text-to-speech": text_to_speech_plan,
}
"""The devnet's worker for each declared pipeline, by declaration name."""
