"""Reading uploaded images and writing PNGs, shared by the image-in pipelines.

The pixel bound is checked from the header before decoding, so a small file that claims a
huge canvas (a decompression bomb) is refused without allocating it.
"""

import io
import warnings

from lpgw.devnet.ai.errors import UnreadableImage
from PIL import Image, UnidentifiedImageError

MAX_INPUT_PIXELS = 4096 * 4096


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (
        UnidentifiedImageError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        OSError,
        ValueError,
    ) as exc:
        raise UnreadableImage(f"image: cannot decode: {exc}") from exc
    width, height = image.size
    if width * height > MAX_INPUT_PIXELS:
        raise UnreadableImage(
            f"image: {width}x{height} is above the devnet's {MAX_INPUT_PIXELS} pixels"
        )
    return image


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header alone: what the units of image-in pipelines need."""
    return _open(data).size


def read_image(data: bytes) -> Image.Image:
    """The decoded image as RGB (alpha and palettes dropped, as the models see pixels)."""
    image = _open(data)
    try:
        image.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage(f"image: cannot decode: {exc}") from exc
    return image.convert("RGB")


def png_bytes(image: Image.Image) -> bytes:
    """PNG with fast compression: the devnet trades a few bytes for CPU."""
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
