"""upscale: the input image really resized, ×4 by default like the reference's x4 upscaler.

Lanczos resampling is what a person would use without a model; the result is bounded so a
large input cannot make the devnet allocate gigabytes. The prompt and seed the reference
accepts change nothing here: resizing has no randomness to seed.
"""

from lpgw.devnet.ai.errors import InvalidSize
from lpgw.devnet.ai.image_files import image_size, png_bytes, read_image
from PIL import Image

DEFAULT_FACTOR = 4
MAX_OUTPUT_SIDE = 4096


def upscaled_size(width: int, height: int, factor: int = DEFAULT_FACTOR) -> tuple[int, int]:
    """The output size, or InvalidSize when a side would pass MAX_OUTPUT_SIDE."""
    if factor < 1:
        raise InvalidSize("the upscale factor must be at least 1")
    out = (width * factor, height * factor)
    if max(out) > MAX_OUTPUT_SIDE:
        raise InvalidSize(
            f"image: {width}x{height} upscaled x{factor} would be {out[0]}x{out[1]}, "
            f"above the devnet's {MAX_OUTPUT_SIDE} pixels per side"
        )
    return out


def upscale(image: bytes, *, factor: int = DEFAULT_FACTOR) -> bytes:
    """The input resized to `factor` × its width and height, as PNG."""
    size = upscaled_size(*image_size(image), factor)  # refused before decoding
    return png_bytes(read_image(image).resize(size, Image.Resampling.LANCZOS))
