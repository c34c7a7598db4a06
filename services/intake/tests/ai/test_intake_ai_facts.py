"""What billing learns from the uploads, measured from real tiny files: the image's size from
its header, the audio's duration from its container."""

import struct
import zlib
from typing import Any

import pytest
from lpgw.intake.ai.facts import MAX_PIXELS, audio_duration_s, image_size, measure
from lpgw.intake.ai.jobs import Upload
from lpgw.intake.errors import UnreadableInput
from lpgw.pipelines import InputFacts


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` × `height` and holds no pixels: its header is all
    `image_size` may read."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_the_size_of_a_real_image(kind: str, samples: Any) -> None:
    assert image_size(getattr(samples, kind)(64, 48)) == (64, 48)


def test_the_size_is_read_from_the_header_alone() -> None:
    assert image_size(png_header(1920, 1080)) == (1920, 1080)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "not a readable image", id="empty"),
        pytest.param(b"GIF87a-but-not-really", "not a readable image", id="truncated header"),
        pytest.param(b"%PDF-1.7\n", "not a readable image", id="a document"),
        pytest.param(png_header(8193, 8192), f"at most {MAX_PIXELS} pixels", id="too many pixels"),
    ],
)
def test_images_that_cannot_be_used(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableInput, match=message):
        image_size(data)


@pytest.mark.parametrize("seconds", [1.0, 2.5, 7.25])
def test_the_duration_of_a_real_wav(seconds: float, samples: Any) -> None:
    assert audio_duration_s(samples.wav(seconds)) == pytest.approx(seconds, abs=0.01)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"just some text, no audio", id="text"),
        pytest.param(b"RIFF\x10\x00\x00\x00WAVEfmt ", id="truncated wav"),
    ],
)
def test_audio_that_cannot_be_decoded(data: bytes) -> None:
    with pytest.raises(UnreadableInput, match="the file part 'audio'"):
        audio_duration_s(data)


def test_a_file_without_an_audio_stream(media: Any) -> None:
    video_only = media.encode("mp4", seconds=0.5, width=64, height=64, audio=False).data
    with pytest.raises(UnreadableInput, match="has no audio stream"):
        audio_duration_s(video_only)


async def test_measure_reads_the_parts_billing_needs(samples: Any) -> None:
    files = {
        "image": Upload(samples.png(30, 20), "image/png", "in.png"),
        "audio": Upload(samples.wav(3.9), "audio/wav", "in.wav"),
    }
    assert await measure(files) == InputFacts(width=30, height=20, duration_s=3)
    assert await measure({"image": files["image"]}) == InputFacts(width=30, height=20)
    assert await measure({}) == InputFacts()


async def test_measure_refuses_an_unreadable_part() -> None:
    with pytest.raises(UnreadableInput):
        await measure({"image": Upload(b"nope", "image/png", "in.png")})
