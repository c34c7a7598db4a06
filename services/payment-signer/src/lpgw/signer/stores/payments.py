"""Payment records in Redis: what each payment did, kept while it may be retried or settled.

A record is written by the same script that moves the credit (`CreditLedger`, as its marker),
so a payment and its record exist together or not at all; here they are only read back.
"""

from typing import Protocol

import redis.asyncio as aioredis
from lpgw.state import Keys


class PaymentRecords(Protocol):
    async def load(self, payment_id: str) -> str | None:
        """The record (JSON) of a payment, or None when unknown or expired."""
        ...


class RedisPaymentRecords:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def load(self, payment_id: str) -> str | None:
        raw = await self._redis.get(self._keys.payment(payment_id))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)
