"""Requests and units of the image-understanding pipelines: segment-anything-2 and
image-to-text (ai-api.md §3.7–3.8). Both bill the input image's height × width.

SAM 2's prompts arrive as JSON array text in form fields; they are checked here so a malformed
array is a 422 naming the field instead of a runner error.
"""

import json
from typing import Annotated, Any, Self

from lpgw.pipelines.fields import FormParams, ModelId
from lpgw.pipelines.inputs import InputFacts
from lpgw.pm.fees import image_units
from pydantic import AfterValidator, ConfigDict, Field, model_validator


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, int | float) and not isinstance(item, bool) for item in value
    )


def _array(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"{field} must be JSON array text") from None


def _points(text: str) -> str:
    parsed = _array(text, "point_coords")
    if not (isinstance(parsed, list) and parsed) or not all(
        _numbers(point) and len(point) == 2 for point in parsed
    ):
        raise ValueError("point_coords must be a non-empty Nx2 array: [[x, y], …]")
    return text


def _labels(text: str) -> str:
    parsed = _array(text, "point_labels")
    if not (isinstance(parsed, list) and parsed) or not all(
        label in (0, 1) and not isinstance(label, bool) for label in parsed
    ):
        raise ValueError("point_labels must be a non-empty array of 1 (foreground) or 0")
    return text


def _box(text: str) -> str:
    parsed = _array(text, "box")
    flat = _numbers(parsed) and len(parsed) == 4
    many = isinstance(parsed, list) and parsed and all(_numbers(b) and len(b) == 4 for b in parsed)
    if not (flat or many):
        raise ValueError("box must be [x1, y1, x2, y2] (or a list of such boxes)")
    return text


class SegmentAnything2Params(FormParams):
    model_config = ConfigDict(title="Body_genSegmentAnything2")

    model_id: ModelId = ""
    point_coords: Annotated[str, AfterValidator(_points)] | None = Field(
        default=None, description="Nx2 array text of (x, y) pixel coordinates."
    )
    point_labels: Annotated[str, AfterValidator(_labels)] | None = Field(
        default=None, description="Array text: 1 foreground, 0 background, one per point."
    )
    box: Annotated[str, AfterValidator(_box)] | None = Field(
        default=None, description="Length-4 array text, XYXY."
    )
    mask_input: str | None = Field(default=None, description="1×H×W low-res mask (H = W = 256).")
    multimask_output: bool = True
    return_logits: bool = True
    normalize_coords: bool = True

    @model_validator(mode="after")
    def _one_label_per_point(self) -> Self:
        if (self.point_coords is None) != (self.point_labels is None):
            raise ValueError("point_coords and point_labels go together")
        if self.point_coords is not None and self.point_labels is not None:
            points, labels = json.loads(self.point_coords), json.loads(self.point_labels)
            if len(points) != len(labels):
                raise ValueError(f"{len(points)} point_coords but {len(labels)} point_labels")
        return self


class ImageToTextParams(FormParams):
    model_config = ConfigDict(title="Body_genImageToText")

    prompt: str = Field(default="", description="Optional text to condition the caption on.")
    model_id: ModelId = ""


def segment_anything_2_billing(request: SegmentAnything2Params, inputs: InputFacts) -> int:
    return image_units(*inputs.image_size())


def image_to_text_billing(request: ImageToTextParams, inputs: InputFacts) -> int:
    return image_units(*inputs.image_size())
