"""The AAC AudioSpecificConfig of an ADTS stream (ISO/IEC 14496-3 §1.6.2.1, §1.A.2.2). Pure.

MPEG-TS carries AAC with a 7- or 9-byte ADTS header on every frame; MP4 wants the two-byte
AudioSpecificConfig once, in the track header, before the first frame is muxed. FFmpeg's
`aac_adtstoasc` filter learns it only from the first packet, too late for a header written up
front, so it is read here from that packet's header (devnet's MP4 renditions, delivery's DASH
init segments).
"""

ADTS_HEADER_BYTES = 7


class NotAdts(ValueError):
    """The bytes do not start with an ADTS header."""


def is_adts(frame: bytes) -> bool:
    """A 12-bit 0xFFF sync word and layer 0, as every ADTS frame starts."""
    return len(frame) >= ADTS_HEADER_BYTES and frame[0] == 0xFF and frame[1] & 0xF6 == 0xF0


def audio_specific_config(frame: bytes) -> bytes:
    """object type (5 bits) ‖ sampling frequency index (4) ‖ channel configuration (4) ‖ 000."""
    if not is_adts(frame):
        raise NotAdts("no ADTS header")
    object_type = ((frame[2] >> 6) & 0x3) + 1
    frequency_index = (frame[2] >> 2) & 0xF
    channels = ((frame[2] & 0x1) << 2) | (frame[3] >> 6)
    return bytes(
        [
            (object_type << 3) | (frequency_index >> 1),
            ((frequency_index & 0x1) << 7) | (channels << 3),
        ]
    )
