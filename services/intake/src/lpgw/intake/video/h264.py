"""H.264 as RTMP carries it (AVCC: length-prefixed NAL units, parameter sets in the
`AVCDecoderConfigurationRecord`) and as MPEG-TS needs it (Annex B: start codes, parameter sets
in-band before every keyframe), plus the picture size read from the sequence parameter set.

Pure byte work: converting here costs a few microseconds a frame and keeps the muxer free of
codec state, so every segment is a fresh, standalone MPEG-TS file.
"""

from dataclasses import dataclass

START_CODE = b"\x00\x00\x00\x01"
NAL_SPS, NAL_PPS, NAL_AUD = 7, 8, 9
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


class InvalidH264(ValueError):
    """A configuration record, parameter set or frame that cannot be H.264."""


@dataclass(frozen=True)
class AvcConfig:
    """What the sequence header of an RTMP stream says."""

    nal_length_size: int
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    width: int
    height: int

    @property
    def parameter_sets(self) -> bytes:
        """SPS and PPS in Annex B form, to put before a keyframe."""
        return b"".join(START_CODE + nal for nal in (*self.sps, *self.pps))


def parse_avc_config(record: bytes) -> AvcConfig:
    """An `AVCDecoderConfigurationRecord` (ISO 14496-15 §5.3.3.1)."""
    if len(record) < 7 or record[0] != 1:
        raise InvalidH264("not an AVC decoder configuration record")
    length_size = (record[4] & 0x03) + 1
    if length_size == 3:
        raise InvalidH264("NAL unit length size 3 is not allowed")
    at = 5
    sets: list[list[bytes]] = []
    for mask in (0x1F, 0xFF):
        if at >= len(record):
            raise InvalidH264("truncated AVC decoder configuration record")
        count, at = record[at] & mask, at + 1
        found = []
        for _ in range(count):
            size = int.from_bytes(record[at : at + 2], "big")
            nal = record[at + 2 : at + 2 + size]
            if len(nal) != size or size == 0:
                raise InvalidH264("truncated parameter set")
            found.append(nal)
            at += 2 + size
        sets.append(found)
    sps, pps = sets
    if not sps or not pps:
        raise InvalidH264("no SPS or no PPS in the configuration record")
    width, height = sps_size(sps[0])
    return AvcConfig(length_size, tuple(sps), tuple(pps), width, height)


def to_annex_b(frame: bytes, config: AvcConfig, keyframe: bool) -> bytes:
    """One AVCC access unit as Annex B, parameter sets first on a keyframe that lacks them."""
    size = config.nal_length_size
    out = bytearray()
    at, end = 0, len(frame)
    needs_sets = keyframe
    while at < end:
        if at + size > end:
            raise InvalidH264("truncated NAL unit length")
        length = int.from_bytes(frame[at : at + size], "big")
        at += size
        if length == 0 or at + length > end:
            raise InvalidH264("NAL unit longer than its frame")
        kind = frame[at] & 0x1F
        if kind in (NAL_SPS, NAL_PPS):
            needs_sets = False
        elif needs_sets and kind != NAL_AUD:
            out += config.parameter_sets
            needs_sets = False
        out += START_CODE
        out += frame[at : at + length]
        at += length
    return bytes(out)


def sps_size(nal: bytes) -> tuple[int, int]:
    """Displayed width and height (after cropping) from a sequence parameter set NAL unit."""
    if len(nal) < 4 or nal[0] & 0x1F != NAL_SPS:
        raise InvalidH264("not a sequence parameter set")
    bits = _Bits(_unescape(nal[1:]))
    try:
        return _sps_size(bits)
    except IndexError:
        raise InvalidH264("truncated sequence parameter set") from None


def _sps_size(bits: "_Bits") -> tuple[int, int]:
    profile = bits.u(8)
    bits.u(16)  # constraint flags, level
    bits.ue()  # seq_parameter_set_id
    chroma_format = 1
    separate_planes = False
    if profile in _HIGH_PROFILES:
        chroma_format = bits.ue()
        if chroma_format == 3:
            separate_planes = bits.u(1) == 1
        bits.ue()  # bit depth luma
        bits.ue()  # bit depth chroma
        bits.u(1)  # qpprime_y_zero_transform_bypass
        if bits.u(1):  # seq_scaling_matrix_present
            for index in range(8 if chroma_format != 3 else 12):
                if bits.u(1):
                    _skip_scaling_list(bits, 16 if index < 6 else 64)
    bits.ue()  # log2_max_frame_num
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_allowed
    width_mbs = bits.ue() + 1
    height_units = bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)  # mb_adaptive_frame_field
    bits.u(1)  # direct_8x8_inference
    crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue()) if bits.u(1) else (0, 0, 0, 0)
    width = width_mbs * 16
    height = (2 - frame_mbs_only) * height_units * 16
    if chroma_format == 0 or separate_planes:
        unit_x, unit_y = 1, 2 - frame_mbs_only
    else:
        unit_x = 1 if chroma_format == 3 else 2
        unit_y = (2 if chroma_format == 1 else 1) * (2 - frame_mbs_only)
    left, right, top, bottom = crop
    width -= unit_x * (left + right)
    height -= unit_y * (top + bottom)
    if width <= 0 or height <= 0:
        raise InvalidH264("sequence parameter set crops the picture away")
    return width, height


def _skip_scaling_list(bits: "_Bits", size: int) -> None:
    last = following = 8
    for _ in range(size):
        if following:
            following = (last + bits.se() + 256) % 256
        last = following or last


def _unescape(rbsp: bytes) -> bytes:
    """Drop emulation prevention bytes (00 00 03 → 00 00)."""
    if b"\x00\x00\x03" not in rbsp:
        return rbsp
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class _Bits:
    """Big-endian bit reader with Exp-Golomb codes; IndexError past the end."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def u(self, count: int) -> int:
        value = 0
        for _ in range(count):
            byte = self._data[self._at >> 3]
            value = (value << 1) | ((byte >> (7 - (self._at & 7))) & 1)
            self._at += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise InvalidH264("Exp-Golomb code too long")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code & 1 else -(code // 2)
