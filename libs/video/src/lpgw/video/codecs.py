"""The RFC 6381 `CODECS` of an MPEG-TS segment, read from its bytes without a media library.

HLS master playlists name each variant's codecs so a player can skip what it cannot play. The
program map table says which elementary streams a segment carries; for H.264 the profile and
level come from the first sequence parameter set. Only the first few packets are read.
"""

TS_PACKET = 188
SYNC = 0x47
_H264, _HEVC, _AAC, _AAC_LATM, _MP3, _AC3 = 0x1B, 0x24, 0x0F, 0x11, 0x03, 0x81
_AUDIO = {_AAC: "mp4a.40.2", _AAC_LATM: "mp4a.40.2", _MP3: "mp4a.40.34", _AC3: "ac-3"}
_VIDEO = {0x01, 0x02, 0x10, _H264, 0x1F, 0x20, _HEVC, 0x42, 0xD1, 0xEA}
"""Video stream types (MPEG-1/2, MPEG-4, H.264/SVC/MVC, HEVC, AVS, Dirac, VC-1): a segment with
one we cannot name gets no codecs, never a list that makes players take it for audio only."""
SCAN_BYTES = 256 * 1024


def segment_codecs(data: bytes) -> str:
    """`avc1.PPCCLL[,mp4a.40.2]`; an empty string when the segment is not MPEG-TS we know."""
    pmt_pid = None
    streams: dict[int, int] = {}
    video_payload = bytearray()
    for offset in range(0, min(len(data), SCAN_BYTES) - TS_PACKET + 1, TS_PACKET):
        packet = data[offset : offset + TS_PACKET]
        if packet[0] != SYNC:
            return ""
        pid = ((packet[1] & 0x1F) << 8) | packet[2]
        payload = _payload(packet)
        start = bool(packet[1] & 0x40)
        if pid == 0 and start and pmt_pid is None:
            pmt_pid = _first_pmt_pid(payload)
        elif pid == pmt_pid and start and not streams:
            streams = _pmt_streams(payload)
        elif streams.get(pid) == _H264:
            video_payload += _pes_data(payload) if start else payload
            profile = _avc_profile(bytes(video_payload))
            if profile:
                return ",".join([profile, *_audio(streams)])
    if streams and not _VIDEO.intersection(streams.values()):
        return ",".join(_audio(streams))
    return ""


def _payload(packet: bytes) -> bytes:
    control = (packet[3] >> 4) & 0x3
    if control in (0, 2):
        return b""
    start = 4
    if control == 3:
        start += 1 + packet[4]
    return packet[start:]


def _pes_data(payload: bytes) -> bytes:
    """The elementary stream after a PES header, whose stream id (0xE7) can look like an SPS."""
    if len(payload) < 9 or payload[:3] != b"\x00\x00\x01":
        return payload
    return payload[9 + payload[8] :]


def _first_pmt_pid(payload: bytes) -> int | None:
    section = payload[1 + payload[0] :] if payload else b""
    if len(section) < 12:
        return None
    length = ((section[1] & 0x0F) << 8) | section[2]
    for at in range(8, min(3 + length - 4, len(section) - 3), 4):
        program = (section[at] << 8) | section[at + 1]
        if program != 0:
            return ((section[at + 2] & 0x1F) << 8) | section[at + 3]
    return None


def _pmt_streams(payload: bytes) -> dict[int, int]:
    section = payload[1 + payload[0] :] if payload else b""
    if len(section) < 12:
        return {}
    length = ((section[1] & 0x0F) << 8) | section[2]
    end = min(3 + length - 4, len(section))
    at = 12 + (((section[10] & 0x0F) << 8) | section[11])
    streams = {}
    while at + 5 <= end:
        kind = section[at]
        pid = ((section[at + 1] & 0x1F) << 8) | section[at + 2]
        streams[pid] = kind
        at += 5 + (((section[at + 3] & 0x0F) << 8) | section[at + 4])
    return streams


def _avc_profile(es: bytes) -> str:
    """From the first SPS (NAL type 7) after an Annex B start code."""
    at = es.find(b"\x00\x00\x01")
    while at != -1 and at + 6 < len(es):
        if es[at + 3] & 0x1F == 7:
            return f"avc1.{es[at + 4]:02x}{es[at + 5]:02x}{es[at + 6]:02x}"
        at = es.find(b"\x00\x00\x01", at + 3)
    return ""


def _audio(streams: dict[int, int]) -> list[str]:
    return sorted({_AUDIO[kind] for kind in streams.values() if kind in _AUDIO})
