"""Deterministic stand-in images: the same prompt and seed always give the same PNG.

The picture is a background and a few shapes whose colours and places come from a hash of
(prompt, seed), so different requests are visibly different and tests can compare bytes.
"""

import hashlib
import io

from PIL import Image, ImageDraw

_SHAPES = 6
_BYTES_PER_SHAPE = 8


def _colour(raw: bytes) -> tuple[int, int, int]:
    return raw[0], raw[1], raw[2]


def render_png(prompt: str, seed: int, width: int, height: int) -> bytes:
    material = hashlib.shake_256(b"%d\x00" % seed + prompt.encode()).digest(
        3 + _SHAPES * _BYTES_PER_SHAPE
    )
    image = Image.new("RGB", (width, height), _colour(material[:3]))
    draw = ImageDraw.Draw(image)
    for n in range(_SHAPES):
        raw = material[3 + n * _BYTES_PER_SHAPE : 3 + (n + 1) * _BYTES_PER_SHAPE]
        x0, x1 = sorted((raw[0] * width // 256, raw[1] * width // 256))
        y0, y1 = sorted((raw[2] * height // 256, raw[3] * height // 256))
        box = (x0, y0, max(x1, x0 + 1), max(y1, y0 + 1))
        if raw[4] % 2:
            draw.ellipse(box, fill=_colour(raw[5:8]))
        else:
            draw.rectangle(box, fill=_colour(raw[5:8]))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
