"""What an API key looks like: `lpgw_<key id>_<secret>`. Pure: no I/O.

The key id (12 hex digits) is public: it names the key in Redis, in logs, in the CLI and as the
account its spend is recorded under. The secret is 256 random bits, URL-safe, shown once when
the key is made; only its SHA-256 is stored.

Why SHA-256 and not a slow password hash (bcrypt, scrypt, argon2): those exist to make guessing
a *low-entropy* password from a stolen hash expensive. A 256-bit random secret cannot be
guessed whatever the hash costs, so a fast hash loses nothing, and it keeps the check on every
request down to microseconds (a slow hash would cost tens of milliseconds per request).
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field

MARK = "lpgw_"
SECRET_BYTES = 32
_KEY = re.compile(r"lpgw_(?P<key_id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{22,128})")


class MalformedKey(ValueError):
    """The text is not an API key of ours (the message never quotes it)."""


@dataclass(frozen=True)
class PresentedKey:
    """A key as a client presented it: its public id and the SHA-256 (hex) of its secret. The
    secret itself is not kept."""

    key_id: str
    digest: str = field(repr=False)


def new_key_id() -> str:
    return secrets.token_hex(6)


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def format_key(key_id: str, secret: str) -> str:
    return f"{MARK}{key_id}_{secret}"


def parse_key(text: str) -> PresentedKey:
    """MalformedKey unless `text` has the shape of a key (whether it exists is Redis's call)."""
    match = _KEY.fullmatch(text)
    if match is None:
        raise MalformedKey("invalid API key")
    return PresentedKey(match["key_id"], secret_digest(match["secret"]))
