"""Bearer-token checks against sha256 digests: the signer never holds a token in clear.

Every accepted digest is compared, in constant time, whatever the outcome, so timing tells
a caller nothing about which (or how much of a) token matched.
"""

import hashlib
import hmac
from collections.abc import Iterable


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


class BearerAuth:
    def __init__(self, digests: Iterable[bytes], *, disabled: bool = False) -> None:
        self._digests = tuple(digests)
        self.disabled = disabled

    @classmethod
    def from_hex(cls, hex_digests: Iterable[str]) -> "BearerAuth":
        return cls(bytes.fromhex(h) for h in hex_digests)

    @classmethod
    def off(cls) -> "BearerAuth":
        """Accept every call: only for a signer listening on loopback."""
        return cls((), disabled=True)

    @property
    def accepted_count(self) -> int:
        return len(self._digests)

    def allows(self, authorization: str | None) -> bool:
        if self.disabled:
            return True
        token = bearer_token(authorization)
        if token is None:
            return False
        presented = token_digest(token)
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(digest, presented)
        return matched
