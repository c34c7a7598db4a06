"""`ApiKeyStore`: API keys in Redis: made, revoked, listed, admitted, and what they spent.

    store = ApiKeyStore(redis, Keys(prefix), RateLimit(per_minute=600, burst=20))
    record, key = await store.create("alice", rate_per_minute=None)  # key: SecretStr, shown once
    decision = await store.admit(parse_key(presented))  # one round trip
    spend = await store.spend(record.key_id)  # written by the payment-signer

Redis errors (`redis.exceptions.RedisError`, `OSError`) are left to the caller: for intake they
mean "cannot check keys now" (503), which is not this library's decision.
"""

import hmac
import time
from typing import cast

from lpgw.apikeys.admission import ADMIT_SCRIPT, Decision, decide
from lpgw.apikeys.records import (
    ApiKey,
    ApiKeyError,
    RateLimit,
    Raw,
    Spend,
    UnknownApiKey,
    check_new,
    decode_fields,
    decode_record,
    decode_spend,
    record_fields,
    text,
)
from lpgw.apikeys.tokens import PresentedKey, format_key, new_key_id, new_secret, secret_digest
from lpgw.state import Keys
from pydantic import SecretStr
from redis.asyncio import Redis

_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1
"""
"""KEYS: the record, the index. ARGV: created, key id, then the record's fields and values.
0 when the id is taken (a new one is drawn)."""

_REVOKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'revoked') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'revoked', ARGV[1])
redis.call('DEL', KEYS[2])
return 1
"""

_ID_ATTEMPTS = 5


class ApiKeyStore:
    def __init__(self, redis: Redis, keys: Keys, limit: RateLimit | None = None) -> None:
        self._redis = redis
        self._keys = keys
        self._limit = limit or RateLimit()
        self._admit = redis.register_script(ADMIT_SCRIPT)
        self._create = redis.register_script(_CREATE)
        self._revoke = redis.register_script(_REVOKE)

    async def create(
        self, name: str, rate_per_minute: int | None = None
    ) -> tuple[ApiKey, SecretStr]:
        """A new key and its plaintext, which exists only in this answer (stored: its SHA-256).
        `rate_per_minute`: None for the gateway's default, 0 for unlimited."""
        check_new(name, rate_per_minute)
        secret = new_secret()
        created = time.time()
        fields = record_fields(name, secret_digest(secret), created, rate_per_minute)
        flat = [item for pair in fields.items() for item in pair]
        for _ in range(_ID_ATTEMPTS):
            key_id = new_key_id()
            keys = [self._keys.api_key(key_id), self._keys.api_keys]
            if await self._create(keys=keys, args=[f"{created:.3f}", key_id, *flat]):
                return decode_fields(key_id, fields), SecretStr(format_key(key_id, secret))
        raise ApiKeyError("no free key id after several draws")  # 48 random bits: never

    async def revoke(self, key_id: str) -> bool:
        """Revoke for good (the record stays, for listing and spend). False if it already was;
        UnknownApiKey if there is no such key."""
        keys = [self._keys.api_key(key_id), self._keys.api_key_rate(key_id)]
        done = int(await self._revoke(keys=keys, args=[f"{time.time():.3f}"]))
        if done < 0:
            raise UnknownApiKey(key_id)
        return done == 1

    async def get(self, key_id: str) -> ApiKey | None:
        return decode_record(key_id, await self._redis.hgetall(self._keys.api_key(key_id)))

    async def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        members = cast(list[Raw], await self._redis.zrange(self._keys.api_keys, 0, -1))
        ids = [text(member) for member in members]
        async with self._redis.pipeline(transaction=False) as pipe:
            for key_id in ids:
                pipe.hgetall(self._keys.api_key(key_id))
            answers = await pipe.execute()
        records = (decode_record(key_id, raw) for key_id, raw in zip(ids, answers, strict=True))
        return [record for record in records if record is not None]

    async def spend(self, key_id: str) -> Spend:
        """What the payment-signer recorded for the key's requests (zero before any)."""
        wei, payments = await self._redis.hmget(
            self._keys.account_spend(key_id), ["wei", "payments"]
        )
        return decode_spend(wei, payments)

    async def admit(self, presented: PresentedKey) -> Decision:
        """Admitted, Refused (unknown, revoked, wrong secret) or Throttled: one round trip."""
        keys = [self._keys.api_key(presented.key_id), self._keys.api_key_rate(presented.key_id)]
        args: list[str | int] = [presented.digest, self._limit.per_minute, self._limit.burst]
        return decide(presented.key_id, await self._admit(keys=keys, args=args))

    async def verify(self, presented: PresentedKey) -> ApiKey | None:
        """The key's record if it exists, is not revoked and the secret matches; charges no rate
        (for tools checking a key they keep, not for requests)."""
        raw = await self._redis.hgetall(self._keys.api_key(presented.key_id))
        fields = {text(k): text(v) for k, v in raw.items()}
        if not fields:
            return None
        matches = hmac.compare_digest(fields.get("sha256", "").encode(), presented.digest.encode())
        record = decode_fields(presented.key_id, fields)
        return record if record.active and matches else None
