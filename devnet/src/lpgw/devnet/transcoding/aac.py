"""AAC in MPEG-TS carries a 7- or 9-byte ADTS header per frame; MP4 wants the two-byte
AudioSpecificConfig once, in the track header, before the first packet is written. Copying
TS audio into an MP4 rendition needs that config up front, so it is read off the first ADTS
header here (ISO/IEC 14496-3 §1.6.2.1, §1.A.2.2). Pure."""

ADTS_HEADER_BYTES = 7


def is_adts(frame: bytes) -> bool:
    """A 12-bit 0xFFF sync word and layer 0, as every ADTS frame starts."""
    return len(frame) >= ADTS_HEADER_BYTES and frame[0] == 0xFF and frame[1] & 0xF6 == 0xF0


def audio_specific_config(frame: bytes) -> bytes:
    """object type (5 bits) ‖ sampling frequency index (4) ‖ channel configuration (4) ‖ 000."""
    if not is_adts(frame):
        raise ValueError("not an ADTS frame")
    object_type = ((frame[2] >> 6) & 0x3) + 1
    frequency_index = (frame[2] >> 2) & 0xF
    channels = ((frame[2] & 0x1) << 2) | (frame[3] >> 6)
    return bytes(
        [
            (object_type << 3) | (frequency_index >> 1),
            ((frequency_index & 0x1) << 7) | (channels << 3),
        ]
    )
