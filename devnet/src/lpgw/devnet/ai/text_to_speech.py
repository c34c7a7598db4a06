"""text-to-speech: a real WAV (PCM 16-bit mono) that "speaks" the text as tones.

Each character is CHARACTER_S of sound: a letter or digit a tone whose pitch comes from the
character, over a base pitch drawn from the speaker `description`; whitespace silence;
anything else a quieter tone. So the duration is proportional to the text (len(text) ×
CHARACTER_S) and two texts or two speakers sound different. Each tone fades in and out to
avoid clicks. Written with the stdlib `wave`; the runner answers audio as WAV too
(ai-api.md §1, AudioResponse).
"""

import io
import math
import sys
import wave
from array import array

from lpgw.devnet.ai.errors import InvalidPrompt
from lpgw.devnet.ai.material import derive, fraction

SAMPLE_RATE = 16000
CHARACTER_S = 0.06
MAX_CHARACTERS = 10_000
DEFAULT_DESCRIPTION = (
    "A male speaker delivers a slightly expressive and animated speech with a moderate speed"
    " and pitch."
)
_SAMPLES = round(SAMPLE_RATE * CHARACTER_S)
_FADE = _SAMPLES // 8
_LOUD = 12000
_SOFT = 4000


def speech_duration_s(text: str) -> float:
    """The WAV's duration for `text`, in seconds."""
    return len(text) * _SAMPLES / SAMPLE_RATE


def text_to_speech(text: str, description: str = DEFAULT_DESCRIPTION) -> bytes:
    """The WAV bytes; InvalidPrompt beyond MAX_CHARACTERS (an empty text is a 0 s WAV)."""
    if len(text) > MAX_CHARACTERS:
        raise InvalidPrompt(f"text must be at most {MAX_CHARACTERS} characters")
    base = 110.0 + 110.0 * fraction(derive("text-to-speech", description, size=2))
    samples = array("h")
    envelope = [min(1.0, n / _FADE, (_SAMPLES - n) / _FADE) for n in range(_SAMPLES)]
    for character in text:
        if character.isspace():
            samples.extend([0] * _SAMPLES)
            continue
        pitch = base * 2 ** ((ord(character) % 24) / 12)
        amplitude = _LOUD if character.isalnum() else _SOFT
        step = 2 * math.pi * pitch / SAMPLE_RATE
        samples.extend(round(amplitude * envelope[n] * math.sin(step * n)) for n in range(_SAMPLES))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(_little_endian(samples))
    return out.getvalue()


def _little_endian(samples: "array[int]") -> bytes:
    """WAV samples are little-endian whatever the machine's order."""
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()
