"""Deterministic stand-in images for text-to-image: the same prompt and seed always give the
same PNG, at the requested size, with the prompt written on it.

The scene is a background and a few shapes whose colours and places come from a hash of
(prompt, seed), so different requests are visibly different and tests can compare bytes; the
caption (black or white, outlined in the other, whichever stands out from the background)
shows which prompt it was.
"""

import hashlib
import io

from lpgw.devnet.ai.captions import caption
from PIL import Image, ImageDraw

_SHAPES = 6
_BYTES_PER_SHAPE = 8
_SHIFT = 3 + _SHAPES * _BYTES_PER_SHAPE

Colour = tuple[int, int, int]
BLACK: Colour = (0, 0, 0)
WHITE: Colour = (255, 255, 255)


def _colour(raw: bytes) -> Colour:
    return raw[0], raw[1], raw[2]


def _material(prompt: str, seed: int) -> bytes:
    """Background, shapes, then the caption's shift (SHAKE output only grows at the end)."""
    return hashlib.shake_256(b"%d\x00" % seed + prompt.encode()).digest(_SHIFT + 2)


def scene(prompt: str, seed: int, width: int, height: int) -> Image.Image:
    """The picture without its caption."""
    material = _material(prompt, seed)
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
    return image


def ink_for(background: Colour) -> tuple[Colour, Colour]:
    """(ink, outline): black on light backgrounds, white on dark ones."""
    red, green, blue = background
    light = 299 * red + 587 * green + 114 * blue > 128_000
    return (BLACK, WHITE) if light else (WHITE, BLACK)


def render_png(prompt: str, seed: int, width: int, height: int) -> bytes:
    material = _material(prompt, seed)
    image = scene(prompt, seed, width, height)
    ink, outline = ink_for(_colour(material[:3]))
    caption(image, prompt, ink, material[_SHIFT : _SHIFT + 2], outline=outline)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
