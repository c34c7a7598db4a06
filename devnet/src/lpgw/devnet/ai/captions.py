"""The prompt written across a stand-in picture, so a person or a test sees at a glance which
prompt (and, through the place, which seed) made an image.

Pillow's default font at a size that follows the picture, wrapped to its width; lines that do
not fit below are left out. The same text, size and shift always draw the same pixels.
"""

from PIL import Image, ImageDraw, ImageFont

Ink = tuple[int, int, int]


def font_size(width: int, height: int) -> int:
    return max(8, min(width, height) // 12)


def caption(
    image: Image.Image, text: str, ink: Ink, shift: bytes, outline: Ink | None = None
) -> None:
    """Draw `text` on `image` in place, a few pixels in from the top left, moved by `shift`
    (two bytes); with `outline`, each glyph gets a one-pixel edge of that colour."""
    if not text.strip():
        return
    width, height = image.size
    font = ImageFont.load_default(size=font_size(width, height))
    draw = ImageDraw.Draw(image)
    lines = _wrap(draw, text, font, max(width - 8, 1))
    line_height = round(font.getbbox("Ag")[3]) + 2
    x = 4 + shift[0] % max(width // 16, 1)
    y = 4 + shift[1] % max(height // 16, 1)
    for n, line in enumerate(lines):
        if y + n * line_height > height:
            break
        draw.text(
            (x, y + n * line_height),
            line,
            fill=ink,
            font=font,
            stroke_width=0 if outline is None else 1,
            stroke_fill=outline,
        )


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: int,
) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines
