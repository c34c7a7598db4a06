"""API keys for the gateway's application API: made and revoked with `lpgw-api-keys`, stored as
the SHA-256 of their secret, admitted with one Redis round trip under a per-key rate limit
shared by every intake replica, and their spend (written by the payment-signer) readable.

`ApiKeyStore` loads on first use, so the pure parts (key format, records, decisions) import
neither Redis nor pydantic.
"""

import importlib
from typing import TYPE_CHECKING, Any

from lpgw.apikeys.admission import Admitted, Decision, Refused, Throttled
from lpgw.apikeys.records import (
    ApiKey,
    ApiKeyError,
    InvalidApiKeyRecord,
    RateLimit,
    Spend,
    UnknownApiKey,
)
from lpgw.apikeys.tokens import MalformedKey, PresentedKey, parse_key

if TYPE_CHECKING:
    from lpgw.apikeys.store import ApiKeyStore


def __getattr__(name: str) -> Any:
    if name == "ApiKeyStore":
        return importlib.import_module("lpgw.apikeys.store").ApiKeyStore
    raise AttributeError(f"module 'lpgw.apikeys' has no attribute {name!r}")


__all__ = [
    "Admitted",
    "ApiKey",
    "ApiKeyError",
    "ApiKeyStore",
    "Decision",
    "InvalidApiKeyRecord",
    "MalformedKey",
    "PresentedKey",
    "RateLimit",
    "Refused",
    "Spend",
    "Throttled",
    "UnknownApiKey",
    "parse_key",
]
