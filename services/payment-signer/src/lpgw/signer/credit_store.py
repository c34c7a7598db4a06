"""Where credit fragments and pending updates live: Redis, shared by every signer replica.

Each operation is one atomic command or Lua script, so concurrent requests and replicas never
lose or double an update (see credit.py for the fragment model).
"""

from collections.abc import Mapping
from fractions import Fraction
from typing import Protocol

import redis.asyncio as aioredis
from lpgw.signer.ceilings import rat
from lpgw.signer.credit import Pending, total
from lpgw.state import Keys

#: The orchestrator deletes a balance untouched for 10 min (payments.md §3.4); ours follows,
#: so we never count on credit the orchestrator has already dropped.
CREDIT_IDLE_TTL_S = 600

# HGETALL then DEL, atomically: whoever runs it owns what it returned.
_TAKE = """
local v = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return v
"""


class CreditStore(Protocol):
    async def take(self, recipient: str, bucket: str) -> Fraction:
        """Reserve (remove and return) the whole credit for (recipient, bucket)."""
        ...

    async def add(self, recipient: str, bucket: str, fragment_id: str, amount: Fraction) -> None:
        """Add `amount` to the credit (a fragment named `fragment_id`; re-adding replaces)."""
        ...

    async def balance(self, recipient: str, bucket: str) -> Fraction: ...

    async def save_pending(self, payment_id: str, pending: Pending, ttl_s: int) -> None: ...

    async def claim_pending(self, payment_id: str) -> Pending | None:
        """Remove and return the pending update; None when unknown, completed or expired."""
        ...


def _pairs(flat: list[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


class RedisCreditStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._take = redis.register_script(_TAKE)

    async def take(self, recipient: str, bucket: str) -> Fraction:
        flat = await self._take(keys=[self._keys.credit(recipient, bucket)])
        return total(_pairs(flat).values())

    async def add(self, recipient: str, bucket: str, fragment_id: str, amount: Fraction) -> None:
        if amount == 0:
            return
        key = self._keys.credit(recipient, bucket)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, fragment_id, rat(amount))
            pipe.expire(key, CREDIT_IDLE_TTL_S)
            await pipe.execute()

    async def balance(self, recipient: str, bucket: str) -> Fraction:
        values = await self._redis.hvals(self._keys.credit(recipient, bucket))
        return total(values)

    async def save_pending(self, payment_id: str, pending: Pending, ttl_s: int) -> None:
        key = self._keys.pending_payment(payment_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=pending.to_fields())  # type: ignore[arg-type]
            pipe.expire(key, ttl_s)
            await pipe.execute()

    async def claim_pending(self, payment_id: str) -> Pending | None:
        flat = await self._take(keys=[self._keys.pending_payment(payment_id)])
        fields: Mapping[bytes, bytes] = _pairs(flat)
        return Pending.from_fields(fields) if fields else None
