"""Request and response bodies of the application-facing API (ai-api.md §2, §3.1).

Unknown fields are ignored, as the reference gateway does, and never forwarded: the body sent to
orchestrators is rebuilt from the declared fields only.
"""

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# Diffusion pipelines work on 8x downsampled latents, so sides must be multiples of 8; 64..2048
# covers every size the SD/SDXL runners produce without letting one job ask for gigapixels.
MIN_SIDE = 64
MAX_SIDE = 2048
SIDE_STEP = 8
DEFAULT_SIDE = 512  # The reference gateway's default (quirk 9), not the spec's 576x1024.
MAX_IMAGES_PER_PROMPT = 4


def _at_least_one(value: int) -> int:
    """The reference turns values below 1 into 1 rather than rejecting them."""
    return max(value, 1)


Side = Annotated[int, Field(ge=MIN_SIDE, le=MAX_SIDE, multiple_of=SIDE_STEP)]


class TextToImageParams(BaseModel):
    """`TextToImageParams` of the gateway spec, with the reference gateway's defaults."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    prompt: str = Field(min_length=1, description="Text prompt; `|` separates prompts.")
    model_id: str | None = Field(default=None, description="Absent or empty: default model.")
    loras: str | None = Field(default=None, description='JSON text {"<lora>": weight, ...}.')
    height: Side = DEFAULT_SIDE
    width: Side = DEFAULT_SIDE
    guidance_scale: float | None = None
    negative_prompt: str | None = None
    safety_check: bool | None = None
    seed: int | None = None
    num_inference_steps: int | None = Field(default=None, ge=1)
    num_images_per_prompt: Annotated[
        int, Field(le=MAX_IMAGES_PER_PROMPT), AfterValidator(_at_least_one)
    ] = 1

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt must not be blank")
        return value

    def forwarded(self, model_id: str) -> dict[str, Any]:
        """The body sent to orchestrators: the resolved model (quirk 15), explicit sizes (quirk
        9) and only the optional fields the application set."""
        body = self.model_dump(exclude_none=True)
        body["model_id"] = model_id
        return body


class Media(BaseModel):
    url: str
    seed: int
    nsfw: bool


class ImageResponse(BaseModel):
    images: list[Media]


class HTTPError(BaseModel):
    """The error envelope: both the reference's `error.message` and the spec's `detail.msg`."""

    error: dict[str, str]
    detail: dict[str, str] | list[dict[str, Any]]
