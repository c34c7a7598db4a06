"""An API key's record as kept in Redis, and what it spent. Pure: decoding only.

The record is one hash under `Keys.api_key(key_id)`: `name`, `sha256` (of the secret),
`created` and `revoked` (unix seconds; `revoked` absent while the key is valid) and
`rate_per_minute` (absent: the gateway's default). `ApiKey` leaves the hash out, so nothing that
lists or prints keys can show it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

NAME_MAX = 100


class ApiKeyError(Exception):
    """Base of the errors of this library."""


class UnknownApiKey(ApiKeyError):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"no API key {key_id}")
        self.key_id = key_id


class InvalidApiKeyRecord(ApiKeyError):
    """A create request the store refuses (empty name, negative rate)."""


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    created: datetime
    revoked: datetime | None = None
    rate_per_minute: int | None = None
    """Requests per minute; None: the gateway's default; 0: unlimited."""

    @property
    def active(self) -> bool:
        return self.revoked is None


@dataclass(frozen=True)
class Spend:
    """What the payment-signer paid for the key's requests (fees in whole wei, rounded up)."""

    wei: int = 0
    payments: int = 0


@dataclass(frozen=True)
class RateLimit:
    """Per key, shared by every replica: `per_minute` sustained (0: unlimited), with up to
    `burst` requests at once."""

    per_minute: int = 600
    burst: int = 20

    def __post_init__(self) -> None:
        if self.per_minute < 0 or self.burst < 1:
            raise ValueError("a rate limit needs per_minute >= 0 and burst >= 1")


def check_new(name: str, rate_per_minute: int | None) -> None:
    if not name.strip() or len(name) > NAME_MAX or not name.isprintable():
        raise InvalidApiKeyRecord(f"a key's name is 1 to {NAME_MAX} printable characters")
    if rate_per_minute is not None and rate_per_minute < 0:
        raise InvalidApiKeyRecord("rate per minute must be 0 (unlimited) or more")


def record_fields(name: str, digest: str, created: float, rate: int | None) -> dict[str, str]:
    fields = {"name": name, "sha256": digest, "created": f"{created:.3f}"}
    if rate is not None:
        fields["rate_per_minute"] = str(rate)
    return fields


Raw = bytes | str
"""What the Redis client answers (bytes unless it was made to decode)."""


def decode_record(key_id: str, raw: Mapping[Raw, Raw]) -> ApiKey | None:
    """The record from HGETALL's answer; None for an empty answer (no such key)."""
    if not raw:
        return None
    return decode_fields(key_id, {text(k): text(v) for k, v in raw.items()})


def decode_fields(key_id: str, text: Mapping[str, str]) -> ApiKey:
    rate = text.get("rate_per_minute")
    revoked = text.get("revoked")
    return ApiKey(
        key_id=key_id,
        name=text.get("name", ""),
        created=_time(text.get("created", "0")),
        revoked=_time(revoked) if revoked else None,
        rate_per_minute=int(rate) if rate else None,
    )


def decode_spend(wei: Raw | None, payments: Raw | None) -> Spend:
    return Spend(int(wei or 0), int(payments or 0))


def text(value: Raw) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _time(seconds: str) -> datetime:
    return datetime.fromtimestamp(float(seconds), UTC)
