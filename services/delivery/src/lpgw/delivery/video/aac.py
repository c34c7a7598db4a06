"""The AAC AudioSpecificConfig of an ADTS stream (ISO 14496-3 §1.6.2.1, §1.A.2.2).

MPEG-TS carries AAC with an ADTS header on every frame; MP4 wants the two-byte
AudioSpecificConfig once, in the init segment, before the first frame is muxed. FFmpeg's
`aac_adtstoasc` filter learns it only from the first packet, too late for an init segment
written up front, so it is read here from that packet's header.
"""

ADTS_SYNC = 0xFFF


class NotAdts(ValueError):
    """The bytes do not start with an ADTS header."""


def audio_specific_config(frame: bytes) -> bytes:
    if len(frame) < 7 or (frame[0] << 4 | frame[1] >> 4) != ADTS_SYNC:
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
