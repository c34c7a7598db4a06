"""A secp256k1 private key that signs and never shows itself.

`repr`, `str` and pickling reveal only the address, so a key that ends up in a log record,
an exception or a trace carries no secret.
"""

import secrets
from typing import NoReturn

from coincurve import PrivateKey as _CurveKey
from lpgw.eth.addresses import to_checksum
from lpgw.eth.errors import InvalidKey
from lpgw.eth.hashing import keccak256
from lpgw.eth.signatures import SECP256K1_N, eip191_digest


class PrivateKey:
    __slots__ = ("_key", "address")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32 or not 0 < int.from_bytes(secret, "big") < SECP256K1_N:
            raise InvalidKey("a private key is 32 bytes in the range of secp256k1")
        self._key = _CurveKey(secret)
        self.address: bytes = keccak256(self._key.public_key.format(compressed=False)[1:])[-20:]

    @classmethod
    def generate(cls) -> "PrivateKey":
        while True:
            secret = secrets.token_bytes(32)
            if 0 < int.from_bytes(secret, "big") < SECP256K1_N:
                return cls(secret)

    @property
    def checksum_address(self) -> str:
        return to_checksum(self.address)

    def secret_bytes(self) -> bytes:
        """The raw secret, for writing an encrypted keystore only."""
        return bytes(self._key.secret)

    def sign_digest(self, digest: bytes) -> bytes:
        """65-byte r ‖ s ‖ v over a 32-byte digest; libsecp256k1 gives RFC 6979 and low s."""
        if len(digest) != 32:
            raise ValueError("a digest is 32 bytes")
        raw = self._key.sign_recoverable(digest, hasher=None)
        return raw[:64] + bytes([raw[64] + 27])

    def personal_sign(self, message: bytes) -> bytes:
        """EIP-191 over the raw bytes of `message` (ticket hashes, signer state blobs)."""
        return self.sign_digest(eip191_digest(message))

    def sign(self, message: bytes) -> bytes:
        """EIP-191 over keccak256(message): the usual Livepeer signature."""
        return self.personal_sign(keccak256(message))

    def __repr__(self) -> str:
        return f"PrivateKey(address={self.checksum_address})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("private keys are not picklable")
