"""Ethereum Keccak-256 (the pre-standard Keccak, not NIST SHA3-256)."""

from Crypto.Hash import keccak

KECCAK_EMPTY = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()
