"""Requests and units of the diffusion pipelines: text-to-image, image-to-image,
image-to-video and upscale (ai-api.md §3.1–3.4, payments.md §8).

Defaults are the spec's, except text-to-image's size (quirk 9: the reference's 512 × 512).
"""

from lpgw.pipelines.fields import (
    FormParams,
    Guidance,
    ImagesPerPrompt,
    JsonParams,
    Loras,
    ModelId,
    Prompt,
    Seed,
    Side,
    Steps,
)
from lpgw.pipelines.inputs import InputFacts
from lpgw.pm.fees import (
    image_to_image_units,
    image_to_video_units,
    image_units,
    text_to_image_units,
)
from pydantic import ConfigDict, Field

TEXT_TO_IMAGE_SIDE = 512
"""What the reference gateway uses for an absent height or width (the spec says 576 × 1024)."""
VIDEO_HEIGHT = 576
VIDEO_WIDTH = 1024


class TextToImageParams(JsonParams):
    model_config = ConfigDict(title="TextToImageParams")

    model_id: ModelId = ""
    loras: Loras = ""
    prompt: Prompt
    height: Side = TEXT_TO_IMAGE_SIDE
    width: Side = TEXT_TO_IMAGE_SIDE
    guidance_scale: Guidance = 7.5
    negative_prompt: str = ""
    safety_check: bool = True
    seed: Seed = None
    num_inference_steps: Steps = 50
    num_images_per_prompt: ImagesPerPrompt = 1


class ImageToImageParams(FormParams):
    model_config = ConfigDict(title="Body_genImageToImage")

    prompt: Prompt
    model_id: ModelId = ""
    loras: Loras = ""
    strength: float = Field(default=0.8, ge=0, le=1, description="How much to transform.")
    guidance_scale: Guidance = 7.5
    image_guidance_scale: Guidance = 1.5
    negative_prompt: str = ""
    safety_check: bool = True
    seed: Seed = None
    num_inference_steps: Steps = 100
    num_images_per_prompt: ImagesPerPrompt = 1


class ImageToVideoParams(FormParams):
    model_config = ConfigDict(title="Body_genImageToVideo")

    model_id: ModelId = ""
    height: Side = VIDEO_HEIGHT
    width: Side = VIDEO_WIDTH
    fps: int = Field(default=6, ge=1, le=60)
    motion_bucket_id: int = Field(default=127, ge=0, le=255)
    noise_aug_strength: float = Field(default=0.02, ge=0)
    safety_check: bool = True
    seed: Seed = None
    num_inference_steps: Steps = 25


class UpscaleParams(FormParams):
    model_config = ConfigDict(title="Body_genUpscale")

    prompt: Prompt
    model_id: ModelId = ""
    safety_check: bool = True
    seed: Seed = None
    num_inference_steps: Steps = 75


def text_to_image_billing(request: TextToImageParams, inputs: InputFacts) -> int:
    """height × width × images: the request's sizes, not the output's."""
    return text_to_image_units(request.height, request.width, request.num_images_per_prompt)


def image_to_image_billing(request: ImageToImageParams, inputs: InputFacts) -> int:
    """The input image's height × width × images."""
    height, width = inputs.image_size()
    return image_to_image_units(height, width, request.num_images_per_prompt)


def image_to_video_billing(request: ImageToVideoParams, inputs: InputFacts) -> int:
    """height × width × 25 frames, whatever the input image's size."""
    return image_to_video_units(request.height, request.width)


def upscale_billing(request: UpscaleParams, inputs: InputFacts) -> int:
    """The input image's height × width."""
    return image_units(*inputs.image_size())
