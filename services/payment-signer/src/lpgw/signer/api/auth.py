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


DEFAULT_CLIENT = "default"


class BearerAuth:
    """Accepted digests, each with the client name it identifies (audit and budgets)."""

    def __init__(
        self, digests: Iterable[bytes | tuple[str, bytes]], *, disabled: bool = False
    ) -> None:
        self._clients = tuple(
            entry if isinstance(entry, tuple) else (DEFAULT_CLIENT, entry) for entry in digests
        )
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
        return len(self._clients)

    def client(self, authorization: str | None) -> str | None:
        """The name of the client whose token this is, or None when it is not accepted."""
        if self.disabled:
            return DEFAULT_CLIENT
        token = bearer_token(authorization)
        if token is None:
            return None
        presented = token_digest(token)
        found: str | None = None
        for name, digest in self._clients:
            if hmac.compare_digest(digest, presented) and found is None:
                found = name
        return found

    def allows(self, authorization: str | None) -> bool:
        return self.client(authorization) is not None
