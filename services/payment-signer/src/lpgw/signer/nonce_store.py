"""Ticket nonces per (sender, recipientRandHash), allocated atomically in Redis.

Every replica and every restart shares the counter, so no nonce is ever used twice under the
same params (payments.md §5, §12). A batch is refused, without consuming anything, once it
would pass the refresh threshold: the orchestrator refuses new nonces at 600, newer reference
signers make callers refresh at 500.
"""

from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from lpgw.state import Keys

#: Params live 40 L1 blocks (8 min); the counter outlives them comfortably.
NONCE_TTL_S = 3600

_ALLOCATE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
current = math.max(current, tonumber(ARGV[4]))
local count = tonumber(ARGV[1])
if current + count > tonumber(ARGV[2]) then
  return {0, current}
end
redis.call('SET', KEYS[1], current + count, 'EX', ARGV[3])
return {1, current + count}
"""


@dataclass(frozen=True)
class Allocation:
    """`nonces` when granted; otherwise the counter's value that made the batch too long."""

    granted: bool
    last: int

    def nonces(self, count: int) -> range:
        return range(self.last - count + 1, self.last + 1)


class NonceAllocator(Protocol):
    async def allocate(
        self, sender: bytes, recipient_rand_hash: bytes, count: int, limit: int, floor: int = 0
    ) -> Allocation:
        """Take `count` consecutive nonces above max(counter, `floor`) unless the last one
        would exceed `limit`. `floor` is the last nonce a caller is known to have used (the
        remote-signer state blob's), so even a wiped Redis never hands it out again."""
        ...


class RedisNonceAllocator:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._keys = keys
        self._allocate = redis.register_script(_ALLOCATE)

    async def allocate(
        self, sender: bytes, recipient_rand_hash: bytes, count: int, limit: int, floor: int = 0
    ) -> Allocation:
        key = self._keys.nonce("0x" + sender.hex(), "0x" + recipient_rand_hash.hex())
        granted, last = await self._allocate(keys=[key], args=[count, limit, NONCE_TTL_S, floor])
        return Allocation(granted=bool(granted), last=int(last))
