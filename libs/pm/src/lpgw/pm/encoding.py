"""Integer encodings used in ticket hashes, HMAC messages and protobuf byte fields.

Protobuf carries big integers as minimal big-endian bytes; Solidity hashes them as 32-byte
words. Both appear in the same ticket, so the two forms live side by side here.
"""

WORD = 32
ZERO_HASH = bytes(WORD)
MAX_UINT256 = 2**256 - 1


def pad32(value: int) -> bytes:
    """32-byte big-endian word (Solidity `uint256`)."""
    if not 0 <= value <= MAX_UINT256:
        raise ValueError("a uint256 is between 0 and 2**256 - 1")
    return value.to_bytes(WORD, "big")


def minbytes(value: int) -> bytes:
    """Big-endian bytes without leading zeros; 0 is empty (Go's big.Int.Bytes)."""
    if value < 0:
        raise ValueError("minbytes encodes non-negative integers")
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def uint(data: bytes) -> int:
    """Unsigned big-endian integer of a protobuf bytes field (empty is 0)."""
    return int.from_bytes(data, "big")
