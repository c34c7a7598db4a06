"""What billing needs to know about uploaded media, measured here at the edge: the input
image's size (from its header: Pillow reads no pixels for `.size`) and the input audio's
duration (from the container, as the reference's ffprobe does; decoded only when the container
does not say)."""

import asyncio
import io
from collections.abc import Mapping
from fractions import Fraction

import av
from av.audio.stream import AudioStream
from lpgw.intake.ai.jobs import Upload
from lpgw.intake.errors import UnreadableInput
from lpgw.pipelines import InputFacts
from PIL import Image, UnidentifiedImageError

IMAGE_PART = "image"
AUDIO_PART = "audio"
MAX_PIXELS = 8192 * 8192
"""An image larger than this is refused before any runner is asked to hold it."""


async def measure(files: Mapping[str, Upload]) -> InputFacts:
    width = height = duration = None
    image = files.get(IMAGE_PART)
    if image is not None:
        width, height = image_size(image.data)
    audio = files.get(AUDIO_PART)
    if audio is not None:
        # Probing reads the container's header, a few milliseconds; decoding a long file when
        # the container has no duration takes longer: off the event loop either way.
        duration = int(await asyncio.to_thread(audio_duration_s, audio.data))
    return InputFacts(width=width, height=height, duration_s=duration)


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of an image Pillow can open."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableInput(f"the file part 'image' is not a readable image: {exc}") from None
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise UnreadableInput(f"the image is {width} x {height}; at most {MAX_PIXELS} pixels")
    return width, height


def audio_duration_s(data: bytes) -> float:
    """Seconds of audio in the first audio stream."""
    try:
        with av.open(io.BytesIO(data), "r") as container:
            streams = [s for s in container.streams if isinstance(s, AudioStream)]
            if not streams:
                raise UnreadableInput("the file part 'audio' has no audio stream")
            stream = streams[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return float(Fraction(container.duration, av.time_base))
            samples = sum(frame.samples for frame in container.decode(stream))
            return samples / stream.rate if stream.rate else 0.0
    except av.FFmpegError as exc:
        raise UnreadableInput(f"the file part 'audio' cannot be decoded: {exc}") from None
