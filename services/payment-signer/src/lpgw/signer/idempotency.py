"""Idempotency keys of `POST /v1/payments`: a retried call gets the payment already made.

A key is claimed per client in Redis before anything is charged, together with a fingerprint
of the request. The finished payment replaces the claim and is kept for SIGNER_PENDING_TTL_S,
so a retry within that time is answered with the stored payment (same id, same bytes) and
allocates, charges and audits nothing. A call that fails releases its claim, so its retry runs
anew; a claim left by a crashed replica expires after CLAIM_TTL_S. Each step is one atomic
command or Lua script, and finishing or releasing only touches the caller's own claim.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from lpgw.signer.errors import IdempotencyConflict
from lpgw.state import Keys

#: Longest a signing call may hold a claim (audit acks time out after seconds, not minutes).
CLAIM_TTL_S = 60

# What the key holds, else (nil) the claim set.
_CLAIM = """
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""

# Replace the value only while it is still the caller's claim.
_FINISH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Claim:
    """The right to make the payment for one key; `record` is what the claim stored."""

    key: str
    record: str


def idempotency_key(keys: Keys, client: str, key: str) -> str:
    """The Redis key of (client, idempotency key); hashed, so any printable key is safe."""
    digest = hashlib.sha256(f"{client}\0{key}".encode()).hexdigest()
    return keys.idempotent_payment(digest)


def running_record(fingerprint: str) -> str:
    """A claim's value: unique per call, so only its owner can finish or release it."""
    return json.dumps({"fingerprint": fingerprint, "claim": uuid.uuid4().hex, "result": None})


def finished_record(fingerprint: str, result: str) -> str:
    return json.dumps({"fingerprint": fingerprint, "result": result})


def stored_result(record: str, fingerprint: str) -> str:
    """The result a finished record holds for this request; 409 for another request or while
    the first call is still running."""
    document = json.loads(record)
    if document["fingerprint"] != fingerprint:
        raise IdempotencyConflict("idempotency_key was already used with a different request")
    result = document["result"]
    if result is None:
        raise IdempotencyConflict("a payment with this idempotency_key is in progress")
    return str(result)


class IdempotencyStore(Protocol):
    async def claim(self, client: str, key: str, fingerprint: str) -> Claim | str:
        """A Claim for a new key, else the stored result (raises IdempotencyConflict)."""
        ...

    async def finish(self, claim: Claim, fingerprint: str, result: str, ttl_s: int) -> None:
        """Keep `result` for `ttl_s` seconds in place of the claim."""
        ...

    async def release(self, claim: Claim) -> None:
        """Forget the claim: the call failed and changed nothing a retry must know of."""
        ...


class RedisIdempotencyStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._keys = keys
        self._claim = redis.register_script(_CLAIM)
        self._finish = redis.register_script(_FINISH)
        self._release = redis.register_script(_RELEASE)

    async def claim(self, client: str, key: str, fingerprint: str) -> Claim | str:
        name = idempotency_key(self._keys, client, key)
        record = running_record(fingerprint)
        existing = await self._claim(keys=[name], args=[record, CLAIM_TTL_S])
        if existing is None:
            return Claim(name, record)
        return stored_result(existing.decode(), fingerprint)

    async def finish(self, claim: Claim, fingerprint: str, result: str, ttl_s: int) -> None:
        record = finished_record(fingerprint, result)
        await self._finish(keys=[claim.key], args=[claim.record, record, ttl_s])

    async def release(self, claim: Claim) -> None:
        await self._release(keys=[claim.key], args=[claim.record])
