"""What a pipeline takes besides its form fields: file parts, and facts measured from them.

The facts are measured at the edge (intake decodes the image header or probes the audio); this
package only reads them, so billing stays pure and never touches media bytes.
"""

from dataclasses import dataclass

from lpgw.pipelines.errors import (
    FileTooLarge,
    InputFactsMissing,
    UnsupportedMediaType,
)

MIB = 1024 * 1024

GENERIC_CONTENT_TYPES = frozenset({"", "application/octet-stream"})
"""Types that say nothing about the content. The livepeer-ai SDK sends one when the caller
gives no `content_type`, so `FileField.check` lets them through and the edge's decoder decides."""


def media_type(content_type: str | None) -> str:
    """`image/PNG; charset=x` → `image/png`: the part of a Content-Type that names the type."""
    return (content_type or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class UploadedFile:
    """What the edge knows about one received file part before decoding it."""

    content_type: str | None
    size: int


@dataclass(frozen=True)
class FileField:
    """A multipart part that carries a file (`image` or `audio` in the reference)."""

    name: str
    content_types: frozenset[str]
    max_bytes: int
    required: bool = True
    description: str = ""

    def accepts(self, content_type: str | None) -> bool:
        """True when the declared type is one this field takes (parameters and case ignored)."""
        return media_type(content_type) in self.content_types

    def check(self, upload: UploadedFile) -> None:
        """Size first (413), then type (415); a generic type is left to the edge's decoder."""
        if upload.size > self.max_bytes:
            raise FileTooLarge(self.name, upload.size, self.max_bytes)
        declared = media_type(upload.content_type)
        if declared not in GENERIC_CONTENT_TYPES and declared not in self.content_types:
            raise UnsupportedMediaType(self.name, declared, self.content_types)


@dataclass(frozen=True)
class InputFacts:
    """Facts about the uploaded media that billing needs: the input image's size in pixels,
    the audio's duration in whole seconds (the whole part of the measured duration)."""

    width: int | None = None
    height: int | None = None
    duration_s: int | None = None

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, not {value}")
        if self.duration_s is not None and self.duration_s < 0:
            raise ValueError(f"duration_s must not be negative, not {self.duration_s}")

    def image_size(self) -> tuple[int, int]:
        """(height, width) of the input image."""
        if self.height is None or self.width is None:
            raise InputFactsMissing("the input image's width and height are needed")
        return self.height, self.width

    def whole_seconds(self) -> int:
        if self.duration_s is None:
            raise InputFactsMissing("the input audio's duration is needed")
        return self.duration_s


NO_FACTS = InputFacts()
"""For pipelines billed from the request alone (text-to-image, image-to-video, llm, TTS)."""

IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/bmp"}
)
"""What the runners open (PIL); the reference gateway itself checks no type."""

AUDIO_TYPES = frozenset(
    {
        "audio/wav",
        "audio/wave",
        "audio/x-wav",
        "audio/vnd.wave",
        "audio/mpeg",
        "audio/mp3",
        "audio/mp4",
        "audio/m4a",
        "audio/x-m4a",
        "audio/aac",
        "audio/ogg",
        "audio/opus",
        "audio/webm",
        "audio/flac",
        "audio/x-flac",
        "video/mp4",
        "video/webm",
    }
)
"""What ffmpeg-based decoding (the reference's ffprobe, the whisper runner) reads."""

IMAGE_UPLOAD_BYTES = 16 * MIB
"""A 12-megapixel phone JPEG or a 2048 × 2048 PNG, with room to spare."""

AUDIO_UPLOAD_BYTES = 32 * MIB
"""About 30 minutes of 128 kbit/s MP3, or 3 minutes of 44.1 kHz 16-bit stereo WAV."""

FORM_FIELDS_BYTES = 1 * MIB
"""Room for the non-file form fields and the multipart framing."""


def image_part(max_bytes: int = IMAGE_UPLOAD_BYTES) -> FileField:
    return FileField("image", IMAGE_TYPES, max_bytes, description="The input image.")


def audio_part(max_bytes: int = AUDIO_UPLOAD_BYTES) -> FileField:
    return FileField("audio", AUDIO_TYPES, max_bytes, description="The input audio.")
