"""Inputs of the size applications send: pictures, speech and prompts, made once per run.

A flat-coloured test image compresses to a few KB and would flatter every hop that moves it,
so pictures here are gradients with blurred and fine noise: a PNG of them weighs what a photo
does (512×512 ≈ 440 KB) and a JPEG at quality 90 about 0.25 bytes per pixel. Audio is 16 kHz
mono 16-bit WAV (what Whisper reads) holding a tone under noise, about 32 KB a second. Prompts
are ordinary English, about 1.3 tokens a word.
"""

import io
import math
import random
import wave
from array import array
from dataclasses import dataclass

from PIL import Image, ImageFilter

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Upload:
    """One file part: its name in the form, its bytes and their type."""

    filename: str
    data: bytes
    content_type: str


def picture(width: int, height: int, fmt: str = "PNG") -> Upload:
    """A photo-like picture: two gradients and blurred noise, a fine grain over them."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.linear_gradient("L").rotate(90).resize((width, height))
    blue = Image.effect_noise((width, height), 64).filter(ImageFilter.GaussianBlur(3))
    grain = Image.effect_noise((width, height), 20).convert("RGB")
    image = Image.blend(Image.merge("RGB", (red, green, blue)), grain, 0.25)
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format="JPEG", quality=90)
        return Upload(f"photo-{width}x{height}.jpg", out.getvalue(), "image/jpeg")
    image.save(out, format="PNG")
    return Upload(f"picture-{width}x{height}.png", out.getvalue(), "image/png")


def speech(seconds: float) -> Upload:
    """A WAV of `seconds`: a slowly wavering tone under noise, never silent."""
    rng = random.Random(7)
    samples = array("h")
    for n in range(int(seconds * SAMPLE_RATE)):
        t = n / SAMPLE_RATE
        pitch = 180 + 40 * math.sin(2 * math.pi * 0.7 * t)
        tone = 6000 * math.sin(2 * math.pi * pitch * t)
        samples.append(int(tone + rng.gauss(0, 800)))
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(SAMPLE_RATE)
        audio.writeframes(samples.tobytes())
    return Upload(f"speech-{seconds:g}s.wav", out.getvalue(), "audio/wav")


_SENTENCES = (
    "The orchestrator renders the frames while the gateway pays it in small tickets.",
    "Summarise the incident report below and list the three actions with their owners.",
    "Our video platform serves live sports to a few thousand viewers every evening.",
    "Latency matters more than cost during the match and the reverse at night.",
    "Explain the trade-offs in plain words, with one example for each of them.",
    "Keep the answer short enough to read on a phone between two meetings.",
    "A lighthouse keeper writes a letter to the ships that no longer pass by.",
    "Each paragraph of the report names a system, what failed and how it was found.",
)


def prose(words: int, seed: int = 0) -> str:
    """About `words` words of English sentences, different per seed."""
    rng = random.Random(seed)
    text: list[str] = []
    while len(text) < words:
        text += rng.choice(_SENTENCES).split()
    return " ".join(text[:words])
