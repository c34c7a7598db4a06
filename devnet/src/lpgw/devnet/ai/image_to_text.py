"""image-to-text: a caption made from what the image measurably is (its size, its mean colour,
which half is brighter) and the prompt.

BLIP's conditional captioning continues the prompt ("a photography of" → "a photography of a
dog"), so a non-empty prompt starts the caption here too. The answer is the reference's
ImageToTextResponse, `{"text"}`.
"""

from lpgw.devnet.ai.image_files import read_image
from PIL import Image, ImageStat

_COLOURS = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "red": (200, 30, 30),
    "orange": (240, 140, 20),
    "yellow": (230, 220, 40),
    "green": (40, 160, 60),
    "teal": (20, 140, 140),
    "blue": (30, 60, 200),
    "purple": (120, 40, 160),
    "pink": (240, 130, 180),
    "brown": (120, 80, 40),
}


def colour_name(rgb: tuple[float, float, float]) -> str:
    """The nearest named colour (squared RGB distance)."""
    return min(
        _COLOURS,
        key=lambda name: sum((a - b) ** 2 for a, b in zip(_COLOURS[name], rgb, strict=True)),
    )


def image_to_text(image: bytes, prompt: str = "") -> dict[str, str]:
    """`{"text": caption}` for the image; UnreadableImage if it does not decode."""
    picture = read_image(image)
    mean = ImageStat.Stat(picture).mean
    shape = _shape(picture.width, picture.height)
    lighting = _lighting(picture)
    caption = (
        f"a {shape} {picture.width}x{picture.height} picture, mostly {colour_name(_rgb(mean))}"
        f"{lighting}"
    )
    lead = prompt.strip()
    return {"text": f"{lead} {caption}" if lead else caption}


def _rgb(mean: list[float]) -> tuple[float, float, float]:
    return mean[0], mean[1], mean[2]


def _shape(width: int, height: int) -> str:
    if width > height * 1.1:
        return "wide"
    if height > width * 1.1:
        return "tall"
    return "square"


def _lighting(picture: Image.Image) -> str:
    grey = picture.convert("L")
    top = ImageStat.Stat(grey.crop((0, 0, grey.width, max(grey.height // 2, 1)))).mean[0]
    bottom = ImageStat.Stat(grey.crop((0, grey.height // 2, grey.width, grey.height))).mean[0]
    if top > bottom + 16:
        return ", brighter at the top"
    if bottom > top + 16:
        return ", brighter at the bottom"
    return ", evenly lit"
