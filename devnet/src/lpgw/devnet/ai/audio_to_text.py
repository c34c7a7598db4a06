"""audio-to-text: a transcript whose chunks cover the audio's real duration.

The audio is decoded with PyAV and its duration is the samples decoded over the sample rate
(container headers can lie or be missing). Whisper's words are stood in for by words drawn
from a hash of the audio bytes, so the same file always gets the same transcript and two files
get different ones. The answer is the reference's TextResponse: `{"text", "chunks": [{"text",
"timestamp": [start, end]}]}`, seconds rounded to 0.01 as Whisper's are.

`return_timestamps` (ai-api.md §3.5): "true" and "sentence" give one chunk per second of
audio (the last one shorter, none empty), "word" one chunk per word (WORDS_PER_SECOND a
second, at least one per chunk of a second), "false" no chunks (the text alone).
"""

import io

import av
import av.error
from av.audio.stream import AudioStream
from lpgw.devnet.ai.errors import InvalidPrompt, UnreadableAudio
from lpgw.devnet.ai.material import derive

WORDS_PER_SECOND = 3
TIMESTAMP_MODES = ("true", "sentence", "word", "false")
_VOCABULARY = (
    "the", "a", "signal", "river", "orchestrator", "ticket", "segment", "quiet", "bright",
    "model", "frame", "under", "over", "gateway", "carries", "listens", "speaks", "round",
    "token", "morning", "stream", "winner", "paid", "slowly", "quickly", "and", "then", "is",
    "every", "second", "green", "north",
)  # fmt: skip


def audio_duration_s(audio: bytes) -> float:
    """Seconds of decodable audio in the first audio stream; UnreadableAudio if there is none."""
    try:
        with av.open(io.BytesIO(audio), "r") as container:
            streams = [s for s in container.streams if isinstance(s, AudioStream)]
            if not streams:
                raise UnreadableAudio("no audio stream")
            stream = streams[0]
            samples = 0
            rate = 0
            for frame in container.decode(stream):
                samples += frame.samples
                rate = frame.sample_rate
    except av.error.FFmpegError as exc:
        raise UnreadableAudio(str(exc)) from exc
    if samples == 0 or rate == 0:
        raise UnreadableAudio("no audio samples")
    return samples / rate


def audio_to_text(audio: bytes, *, return_timestamps: str = "true") -> dict[str, object]:
    """The TextResponse for the audio; UnreadableAudio, or InvalidPrompt for an unknown mode."""
    mode = return_timestamps.strip().lower()
    if mode not in TIMESTAMP_MODES:
        raise InvalidPrompt(f"return_timestamps must be one of {', '.join(TIMESTAMP_MODES)}")
    duration = audio_duration_s(audio)
    seconds = _seconds(duration)
    raw = derive("audio-to-text", audio, size=sum(count for _, count in seconds))
    words = [_VOCABULARY[b % len(_VOCABULARY)] for b in raw]
    chunks: list[dict[str, object]] = []
    taken = 0
    for (start, end), count in seconds:
        said = words[taken : taken + count]
        taken += count
        if mode == "word":
            step = (end - start) / count
            chunks += [
                _chunk(w, (start + n * step, start + (n + 1) * step)) for n, w in enumerate(said)
            ]
        else:
            chunks.append(_chunk(" ".join(said), (start, end)))
    return {"text": " ".join(words), "chunks": [] if mode == "false" else chunks}


def _seconds(duration: float) -> list[tuple[tuple[float, float], int]]:
    """Each whole second of the audio (the last one partial) and its number of words, one at
    least, so no chunk is empty."""
    spans = []
    start = 0.0
    while start < duration:
        end = min(start + 1.0, duration)
        spans.append(((start, end), max(1, round((end - start) * WORDS_PER_SECOND))))
        start += 1.0
    return spans


def _chunk(text: str, span: tuple[float, float]) -> dict[str, object]:
    return {"text": text, "timestamp": [round(span[0], 2), round(span[1], 2)]}
