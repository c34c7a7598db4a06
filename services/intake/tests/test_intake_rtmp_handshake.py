"""The server side of the RTMP handshake: version 3 only, the simple (echo) form."""

import struct

import pytest
from lpgw.intake.rtmp import handshake
from lpgw.intake.rtmp.errors import HandshakeError


def test_the_answer_is_s0_s1_s2() -> None:
    c1 = struct.pack(">II", 1234, 0) + (bytes(range(256)) * 6)[:1528]
    noise = b"\xab" * 1528
    answer = handshake.answer(c1, uptime_ms=42, noise=noise)
    assert len(answer) == 1 + 1536 + 1536
    assert answer[0] == 3  # S0
    s1, s2 = answer[1:1537], answer[1537:]
    assert s1[:4] == struct.pack(">I", 42)
    assert s1[4:8] == bytes(4)  # zero version: no digest handshake expected
    assert s1[8:] == noise
    assert s2 == c1  # S2 echoes C1


def test_s1_carries_fresh_random_bytes() -> None:
    c1 = bytes(1536)
    first = handshake.answer(c1, uptime_ms=0)
    second = handshake.answer(c1, uptime_ms=0)
    assert first[9:1537] != second[9:1537]


def test_uptime_wraps_at_32_bits() -> None:
    answer = handshake.answer(bytes(1536), uptime_ms=2**32 + 5, noise=bytes(1528))
    assert answer[1:5] == struct.pack(">I", 5)


def test_version_3_is_accepted() -> None:
    handshake.check_c0(b"\x03")


@pytest.mark.parametrize(
    "c0",
    [
        pytest.param(b"\x06", id="RTMPE"),
        pytest.param(b"\x00", id="zero"),
        pytest.param(b"G", id="an HTTP request"),
        pytest.param(b"\x16", id="a TLS client hello"),
    ],
)
def test_a_wrong_version_byte_is_refused(c0: bytes) -> None:
    with pytest.raises(HandshakeError, match="version"):
        handshake.check_c0(c0)


def test_short_packets_are_refused() -> None:
    with pytest.raises(HandshakeError):
        handshake.answer(bytes(1535), uptime_ms=0)
    with pytest.raises(HandshakeError):
        handshake.check_c2(bytes(100))
    handshake.check_c2(bytes(1536))
