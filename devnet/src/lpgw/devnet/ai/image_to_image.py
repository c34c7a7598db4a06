"""image-to-image: the input picture tinted and captioned, deterministic in (prompt, seed).

A diffusion model keeps the input's composition and moves it towards the prompt; the stand-in
keeps the input's pixels, blends a colour drawn from (prompt, seed) over them in proportion to
`strength`, and writes the prompt across the picture, so a test (or a person) sees at a glance
which input, prompt and seed made an image. Image *n* uses seed + *n*, as text-to-image does.
"""

from lpgw.devnet.ai.captions import caption
from lpgw.devnet.ai.errors import InvalidSize
from lpgw.devnet.ai.image_files import png_bytes, read_image
from lpgw.devnet.ai.material import derive
from PIL import Image

MAX_SIDE = 2048
MAX_IMAGES = 8
DEFAULT_STRENGTH = 0.8


def image_to_image(
    image: bytes,
    prompt: str,
    seed: int,
    *,
    num_images: int = 1,
    width: int | None = None,
    height: int | None = None,
    strength: float = DEFAULT_STRENGTH,
) -> list[bytes]:
    """`num_images` PNGs (seeds seed, seed + 1, …) at the input's size unless one is given.

    Raises UnreadableImage for an input Pillow cannot decode and InvalidSize for a size or
    count outside what the devnet serves (sides 1…MAX_SIDE, 1…MAX_IMAGES images).
    """
    if not 1 <= num_images <= MAX_IMAGES:
        raise InvalidSize(f"num_images_per_prompt must be between 1 and {MAX_IMAGES}")
    source = read_image(image)
    size = (width or source.width, height or source.height)
    for name, side in zip(("width", "height"), size, strict=True):
        if not 1 <= side <= MAX_SIDE:
            raise InvalidSize(f"{name} must be between 1 and {MAX_SIDE}")
    base = source if source.size == size else source.resize(size, Image.Resampling.BILINEAR)
    amount = min(max(strength, 0.0), 1.0) * 0.6
    return [png_bytes(_transform(base, prompt, seed + n, amount)) for n in range(num_images)]


def _transform(base: Image.Image, prompt: str, seed: int, amount: float) -> Image.Image:
    raw = derive("image-to-image", prompt, seed, size=5)
    tint = Image.new("RGB", base.size, (raw[0], raw[1], raw[2]))
    out = Image.blend(base, tint, amount)
    caption(out, prompt, ink=(255 - raw[0], 255 - raw[1], 255 - raw[2]), shift=raw[3:5])
    return out
