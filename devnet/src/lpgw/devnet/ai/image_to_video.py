"""image-to-video: a short real MP4 (H.264) that pans and zooms across the input image.

Stable Video Diffusion makes 25 frames from one picture; the stand-in makes 25 frames too,
each a crop of the input that moves along a path drawn from the seed (a zoom in or out and a
drift towards a corner), so the clip is visibly the input, moving, and different per seed.
The frames are encoded with libx264 (ultrafast, no B-frames, one thread so the bytes do not
depend on the machine) into MP4 at `fps` frames per second, the orchestrator's assembly of
the runner's frames (ai-api.md §2, VideoResponse).
"""

import io
from fractions import Fraction

import av
from av.video.frame import VideoFrame
from lpgw.devnet.ai.errors import InvalidSize
from lpgw.devnet.ai.image_files import read_image
from lpgw.devnet.ai.material import derive, fraction
from PIL import Image

DEFAULT_WIDTH = 1024
DEFAULT_HEIGHT = 576
DEFAULT_FPS = 6
FRAMES = 25
MAX_SIDE = 2048
MAX_FPS = 60
MAX_ZOOM = 0.3


def image_to_video(
    image: bytes,
    seed: int,
    *,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    fps: int = DEFAULT_FPS,
    frames: int = FRAMES,
) -> bytes:
    """An MP4 of `frames` frames of width × height at `fps`: (frames / fps) seconds.

    Sides must be even (4:2:0 H.264) and at most MAX_SIDE → InvalidSize; an input Pillow
    cannot decode → UnreadableImage.
    """
    _check(width, height, fps, frames)
    source = _cover(read_image(image), width, height)
    path = _motion(seed, image)
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        context = stream.codec_context
        context.width, context.height, context.pix_fmt = width, height, "yuv420p"
        context.time_base = Fraction(1, fps)
        context.options = {"preset": "ultrafast", "bf": "0", "threads": "1"}
        for n in range(frames):
            picture = _frame(source, width, height, path, n / (frames - 1 or 1))
            rgba = picture.convert("RGBA").tobytes()
            frame = VideoFrame.from_bytes(rgba, width, height, format="rgba")
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def _check(width: int, height: int, fps: int, frames: int) -> None:
    for name, side in (("width", width), ("height", height)):
        if not 2 <= side <= MAX_SIDE or side % 2:
            raise InvalidSize(f"{name} must be even and between 2 and {MAX_SIDE}")
    if not 1 <= fps <= MAX_FPS:
        raise InvalidSize(f"fps must be between 1 and {MAX_FPS}")
    if not 1 <= frames <= 4 * FRAMES:
        raise InvalidSize(f"frames must be between 1 and {4 * FRAMES}")


def _cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """The input scaled so it covers width × height with room to zoom out of it."""
    scale = max(width / image.width, height / image.height) * (1 + MAX_ZOOM)
    size = (max(round(image.width * scale), 1), max(round(image.height * scale), 1))
    return image.resize(size, Image.Resampling.BILINEAR)


def _motion(seed: int, image: bytes) -> tuple[float, float, float, float]:
    """(start zoom, end zoom, end x, end y): crop scale 1 = the whole cover image, and where
    the crop's centre ends up, as fractions of the room left around it."""
    raw = derive("image-to-video", seed, image, size=8)
    near = 1 / (1 + MAX_ZOOM * (0.5 + fraction(raw[0:2]) / 2))
    start, end = (1.0, near) if raw[2] % 2 else (near, 1.0)
    return start, end, fraction(raw[3:5]), fraction(raw[5:7])


def _frame(
    source: Image.Image,
    width: int,
    height: int,
    path: tuple[float, float, float, float],
    t: float,
) -> Image.Image:
    start, end, end_x, end_y = path
    zoom = start + (end - start) * t
    # The crop keeps the output's aspect ratio and fits inside the cover image.
    crop_w = min(source.width, source.height * width / height) * zoom
    crop_h = crop_w * height / width
    room_x, room_y = source.width - crop_w, source.height - crop_h
    x = room_x * (0.5 + (end_x - 0.5) * t)
    y = room_y * (0.5 + (end_y - 0.5) * t)
    box = (x, y, x + crop_w, y + crop_h)
    return source.resize((width, height), Image.Resampling.BILINEAR, box=box)
