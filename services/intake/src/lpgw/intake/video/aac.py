"""AAC as RTMP carries it (raw frames, the `AudioSpecificConfig` sent once) and as MPEG-TS needs
it (each frame behind its own ADTS header, which repeats the configuration)."""

from dataclasses import dataclass

ADTS_HEADER_BYTES = 7
MAX_ADTS_FRAME = (1 << 13) - 1
SAMPLE_RATES = (
    96000,
    88200,
    64000,
    48000,
    44100,
    32000,
    24000,
    22050,
    16000,
    12000,
    11025,
    8000,
    7350,
)
_SBR, _PS = 5, 29


class InvalidAac(ValueError):
    """A configuration or frame ADTS cannot carry."""


@dataclass(frozen=True)
class AacConfig:
    object_type: int
    """Audio object type of the core coder (2 = AAC LC); HE-AAC's SBR/PS signalling is implicit
    in ADTS, so the core type is what the header names."""
    frequency_index: int
    channels: int

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATES[self.frequency_index]


def parse_audio_specific_config(config: bytes) -> AacConfig:
    """ISO 14496-3 §1.6.2.1, the part ADTS can express: object types 1–4 (directly or under
    explicit SBR/PS signalling), a standard sample rate, 1–7 channels."""
    bits = int.from_bytes(config, "big")
    total = len(config) * 8
    at = 0

    def take(count: int) -> int:
        nonlocal at
        if at + count > total:
            raise InvalidAac("truncated AudioSpecificConfig")
        at += count
        return (bits >> (total - at)) & ((1 << count) - 1)

    def object_type() -> int:
        kind = take(5)
        return 32 + take(6) if kind == 31 else kind

    def frequency() -> int:
        index = take(4)
        if index == 15:
            raise InvalidAac("explicit sample rates cannot be carried in ADTS")
        return index

    kind = object_type()
    index = frequency()
    channels = take(4)
    if kind in (_SBR, _PS):
        frequency()  # the extension (output) rate; ADTS names the core rate
        kind = object_type()
    if not 1 <= kind <= 4:
        raise InvalidAac(f"AAC object type {kind} cannot be carried in ADTS")
    if index >= len(SAMPLE_RATES):
        raise InvalidAac(f"reserved sample rate index {index}")
    if not 1 <= channels <= 7:
        raise InvalidAac(f"channel configuration {channels} cannot be carried in ADTS")
    return AacConfig(kind, index, channels)


def adts_frame(frame: bytes, config: AacConfig) -> bytes:
    """`frame` behind a 7-byte ADTS header (no CRC)."""
    length = len(frame) + ADTS_HEADER_BYTES
    if length > MAX_ADTS_FRAME:
        raise InvalidAac(f"AAC frame of {len(frame)} bytes is too long for ADTS")
    profile = config.object_type - 1
    channels = config.channels
    header = bytes(
        (
            0xFF,
            0xF1,  # MPEG-4, layer 0, no CRC
            (profile << 6) | (config.frequency_index << 2) | (channels >> 2),
            ((channels & 3) << 6) | (length >> 11),
            (length >> 3) & 0xFF,
            ((length & 7) << 5) | 0x1F,
            0xFC,  # buffer fullness 0x7FF (variable rate), one raw data block
        )
    )
    return header + frame
