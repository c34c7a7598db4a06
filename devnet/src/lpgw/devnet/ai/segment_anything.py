"""segment-anything-2: masks, scores and logits in the reference's MasksResponse shape.

The runner answers SAM2's arrays as Python-printed text (`str(array.tolist())`), and so does
the stand-in: `masks` is N × H × W at the image's size, `scores` N, `logits` N × 256 × 256
(SAM2's low-resolution logits), N = 3 with `multimask_output` (small, medium and large
candidates, as SAM2 offers for an ambiguous prompt) else 1. The masked region comes from the
prompts: the box, discs around foreground points, background points cut out; with no prompt
a centred ellipse (background points still cut out of it). Values are logits (±L, L drawn from
the inputs) with `return_logits`, else 0.0 / 1.0. The text also parses as JSON.

Coordinates are pixels (x, y) when `normalize_coords` is true, as SAM2 then normalises them
itself; fractions of the width and height when it is false. `point_labels` defaults to every
point being foreground. Only the image's size and the prompts matter, not its pixels.
"""

import json

from lpgw.devnet.ai.errors import InvalidPrompt
from lpgw.devnet.ai.image_files import read_image
from lpgw.devnet.ai.material import derive, fraction
from PIL import Image, ImageDraw

LOW_RES = 256
_SCALES_MULTI = (0.5, 1.0, 1.5)

Point = tuple[float, float]


def segment_anything_2(
    image: bytes,
    *,
    point_coords: str | None = None,
    point_labels: str | None = None,
    box: str | None = None,
    multimask_output: bool = True,
    return_logits: bool = True,
    normalize_coords: bool = True,
) -> dict[str, str]:
    """`{"masks", "scores", "logits"}` as text; InvalidPrompt for unreadable prompt arrays."""
    width, height = read_image(image).size
    scale = (1.0, 1.0) if normalize_coords else (float(width), float(height))
    points = [(x * scale[0], y * scale[1]) for x, y in _points(point_coords)]
    labels = _labels(point_labels, len(points))
    corners = _box(box)
    frame = None if corners is None else tuple(c * scale[n % 2] for n, c in enumerate(corners))
    scales = _SCALES_MULTI if multimask_output else (1.0,)
    raw = derive(
        "segment-anything-2",
        width,
        height,
        json.dumps([points, labels, frame, multimask_output]),
        size=4 * len(scales),
    )
    levels = [round(2.0 + 8.0 * fraction(raw[4 * k : 4 * k + 2]), 2) for k in range(len(scales))]
    scores = [
        round(0.5 + 0.5 * fraction(raw[4 * k + 2 : 4 * k + 4]), 4) for k in range(len(scales))
    ]
    regions = [_region(width, height, points, labels, frame, s) for s in scales]
    masks = [
        _array(region, _values(level) if return_logits else ("0.0", "1.0"))
        for region, level in zip(regions, levels, strict=True)
    ]
    logits = [
        _array(region.resize((LOW_RES, LOW_RES), Image.Resampling.NEAREST), _values(level))
        for region, level in zip(regions, levels, strict=True)
    ]
    return {
        "masks": "[" + ", ".join(masks) + "]",
        "scores": str(scores),
        "logits": "[" + ", ".join(logits) + "]",
    }


def _parse(text: str, name: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidPrompt(f"{name}: not a JSON array: {exc}") from exc


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPrompt(f"{name}: expected numbers, got {value!r}")
    return float(value)


def _points(text: str | None) -> list[Point]:
    if text is None or not text.strip():
        return []
    value = _parse(text, "point_coords")
    if not isinstance(value, list) or not all(
        isinstance(pair, list) and len(pair) == 2 for pair in value
    ):
        raise InvalidPrompt("point_coords: expected an Nx2 array of (x, y)")
    return [(_number(p[0], "point_coords"), _number(p[1], "point_coords")) for p in value]


def _labels(text: str | None, count: int) -> list[int]:
    if text is None or not text.strip():
        return [1] * count
    value = _parse(text, "point_labels")
    if not isinstance(value, list) or len(value) != count or not all(v in (0, 1) for v in value):
        raise InvalidPrompt(f"point_labels: expected {count} labels, each 0 or 1")
    return [int(v) for v in value]


def _box(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None or not text.strip():
        return None
    value = _parse(text, "box")
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]  # [[x0, y0, x1, y1]] as SAM2 also takes it
    if not isinstance(value, list) or len(value) != 4:
        raise InvalidPrompt("box: expected a length-4 array x0, y0, x1, y1")
    x0, y0, x1, y1 = (_number(v, "box") for v in value)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _region(
    width: int,
    height: int,
    points: list[Point],
    labels: list[int],
    frame: tuple[float, ...] | None,
    scale: float,
) -> Image.Image:
    """The mask as a mode-L picture: 255 inside, 0 outside."""
    region = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(region)
    radius = max(min(width, height) / 8 * scale, 1.0)
    if frame is None and 1 not in labels:
        rx, ry = width / 4 * scale, height / 4 * scale
        draw.ellipse((width / 2 - rx, height / 2 - ry, width / 2 + rx, height / 2 + ry), fill=255)
    if frame is not None:
        cx, cy = (frame[0] + frame[2]) / 2, (frame[1] + frame[3]) / 2
        hw, hh = (frame[2] - frame[0]) / 2 * scale, (frame[3] - frame[1]) / 2 * scale
        draw.rectangle((cx - hw, cy - hh, cx + hw, cy + hh), fill=255)
    for (x, y), label in zip(points, labels, strict=True):
        if label == 1:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    for (x, y), label in zip(points, labels, strict=True):
        if label == 0:
            r = radius / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return region


def _values(level: float) -> tuple[str, str]:
    return repr(-level), repr(level)


def _array(region: Image.Image, values: tuple[str, str]) -> str:
    """An H × W array as Python prints a list; identical rows are formatted once."""
    outside, inside = values
    pick = ((outside,) + (inside,) * 255).__getitem__
    width = region.width
    data = region.tobytes()
    rows: dict[bytes, str] = {}
    out = []
    for y in range(region.height):
        row = data[y * width : (y + 1) * width]
        text = rows.get(row)
        if text is None:
            text = rows[row] = "[" + ", ".join(map(pick, row)) + "]"
        out.append(text)
    return "[" + ", ".join(out) + "]"
