"""The RTMP handshake, server side: C0 C1 in, S0 S1 S2 out, C2 in.

We answer with the "simple" handshake: S1 carries a zero version field, which tells clients
(FFmpeg's rtmp protocol, librtmp in OBS) not to expect the digest scheme of Flash Media
Server, and S2 echoes C1 byte for byte. Only version 3 (plain RTMP) is accepted; 6 (RTMPE) and
anything else is refused before we read further.
"""

import os
import struct
from typing import Final

from lpgw.intake.rtmp.errors import HandshakeError

VERSION: Final = 3
PACKET_SIZE: Final = 1536
"""Size of C1, C2, S1 and S2; C0 and S0 are one byte."""

_TIMES = struct.Struct(">II")


def check_c0(c0: bytes) -> None:
    """Refuse anything but version 3, on the first byte, so garbage is dropped at once."""
    if len(c0) != 1:
        raise HandshakeError("C0 is one byte")
    if c0[0] != VERSION:
        raise HandshakeError(f"unsupported RTMP version {c0[0]}")


def answer(c1: bytes, *, uptime_ms: int, noise: bytes | None = None) -> bytes:
    """S0 + S1 + S2 for the client's C1.

    S1 is our time, four zero bytes (no digest) and 1528 random bytes; S2 is C1 echoed.
    """
    if len(c1) != PACKET_SIZE:
        raise HandshakeError(f"C1 is {PACKET_SIZE} bytes, got {len(c1)}")
    filler = os.urandom(PACKET_SIZE - 8) if noise is None else noise
    if len(filler) != PACKET_SIZE - 8:
        raise ValueError(f"noise is {PACKET_SIZE - 8} bytes")
    s1 = _TIMES.pack(uptime_ms & 0xFFFFFFFF, 0) + filler
    return bytes((VERSION,)) + s1 + bytes(c1)


def check_c2(c2: bytes) -> None:
    """C2 should echo S1; clients differ in how faithfully, so only its length is checked."""
    if len(c2) != PACKET_SIZE:
        raise HandshakeError(f"C2 is {PACKET_SIZE} bytes, got {len(c2)}")
