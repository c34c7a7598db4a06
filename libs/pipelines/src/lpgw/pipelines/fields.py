"""Field types shared by several request models, each with the rule that bounds it and why.

The reference gateway checks almost nothing (ai-api.md §1, quirk 19); these rules turn what
would be a runner crash or a 500 into a 422 naming the field.
"""

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Diffusion pipelines work on 8x downsampled latents, so sides must be multiples of 8; 64..2048
# covers every size the SD/SDXL/SVD runners produce without letting one job ask for gigapixels.
MIN_SIDE = 64
MAX_SIDE = 2048
SIDE_STEP = 8
MAX_IMAGES_PER_PROMPT = 4
"""Intake's existing cap (the reference has none): keeps one request's units bounded."""


class JsonParams(BaseModel):
    """A JSON request body: types are exact (no "512" for 512), unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class FormParams(BaseModel):
    """The non-file fields of a multipart body: every value arrives as text, so the usual
    conversions apply ("512" → 512, "true" → True); unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _at_least_one(value: int) -> int:
    """The reference turns values below 1 into 1 rather than rejecting them."""
    return max(value, 1)


def _lora_weights(value: str) -> str:
    """Empty, or JSON text of an object mapping LoRA model ids to numeric weights."""
    if not value:
        return value
    try:
        parsed: Any = json.loads(value)
    except ValueError:
        raise ValueError('loras must be JSON text like {"<lora model>": 1.0}') from None
    if not isinstance(parsed, dict) or not all(
        isinstance(weight, int | float) and not isinstance(weight, bool)
        for weight in parsed.values()
    ):
        raise ValueError('loras must be a JSON object of numeric weights: {"<lora model>": 1.0}')
    return value


ModelId = Annotated[
    str,
    Field(description='Model to run; absent or "" selects the pipeline\'s default model.'),
]
Prompt = Annotated[str, Field(description="Text prompt; `|` separates prompts where supported.")]
Side = Annotated[int, Field(ge=MIN_SIDE, le=MAX_SIDE, multiple_of=SIDE_STEP)]
Seed = Annotated[int, Field(ge=-(2**63), le=2**64 - 1)] | None
Steps = Annotated[int, Field(ge=1)]
Guidance = Annotated[float, Field(ge=0)]
ImagesPerPrompt = Annotated[
    int,
    Field(le=MAX_IMAGES_PER_PROMPT, description="Values below 1 mean 1, as in the reference."),
    AfterValidator(_at_least_one),
]
Loras = Annotated[
    str,
    Field(description='JSON text {"<lora model>": weight, …}, or "" for none.'),
    AfterValidator(_lora_weights),
]
