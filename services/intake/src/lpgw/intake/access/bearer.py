"""The `Authorization: Bearer <token>` header (RFC 6750), read without trusting it. Pure."""

from collections.abc import Mapping

from lpgw.intake.access.errors import MissingCredentials

MISSING = "missing API key: send Authorization: Bearer <key>"
WRONG_SCHEME = "unsupported authorization scheme: send Authorization: Bearer <key>"


def authorization(headers: Mapping[str, str]) -> str | None:
    """The header's value whatever its case: Starlette's headers match any case; a plain dict
    (tests, other callers) may spell it either way."""
    value = headers.get("authorization")
    if value is not None:
        return value
    for name, item in headers.items():
        if name.lower() == "authorization":
            return item
    return None


def bearer_token(value: str | None) -> str:
    """The token of a Bearer header; MissingCredentials without one. Whether the token is any
    good is for the caller to decide."""
    if value is None or not value.strip():
        raise MissingCredentials(MISSING)
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise MissingCredentials(WRONG_SCHEME)
    token = token.strip()
    if not token:
        raise MissingCredentials(MISSING)
    return token
