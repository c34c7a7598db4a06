"""Ticket nonces per (sender, recipientRandHash), reserved atomically in Redis.

Every replica and every restart shares the counter, so no nonce is ever used twice under the
same params (payments.md §5, §12). A reservation is refused, without consuming anything, once
it would pass the refresh threshold: the orchestrator refuses new nonces at 600, newer
reference signers make callers refresh at 500.

Payment sessions take nonces in blocks (`NonceBlocks`): one script call reserves up to
`BLOCK` nonces, and the replica hands them out from memory until they run out. A replica that
stops leaves the rest of its block unused; a gap is harmless (the orchestrator checks only that
a nonce is new), a reuse is not.
"""

from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from lpgw.state import Keys

#: Params live 40 L1 blocks (8 min); the counter outlives them comfortably.
NONCE_TTL_S = 3600
BLOCK = 16
"""Nonces one reservation takes for a payment session: a reservation per 16 tickets."""
KEPT_BLOCKS = 10_000
"""Params whose blocks a replica remembers (one per orchestrator and refresh, ~4 min each)."""

# ARGV: want, need, limit, ttl, floor. Grants min(want, limit − counter) nonces above
# max(counter, floor) when that is at least `need`; answers {granted, last nonce granted}, or
# {0, counter} when not even `need` fit.
_RESERVE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
current = math.max(current, tonumber(ARGV[5]))
local grant = math.min(tonumber(ARGV[1]), tonumber(ARGV[3]) - current)
if grant < tonumber(ARGV[2]) then
  return {0, current}
end
redis.call('SET', KEYS[1], current + grant, 'EX', ARGV[4])
return {grant, current + grant}
"""


@dataclass(frozen=True)
class Reservation:
    """`count` nonces ending at `last`; count 0: refused, and `last` is the counter."""

    count: int
    last: int

    @property
    def granted(self) -> bool:
        return self.count > 0

    @property
    def nonces(self) -> range:
        return range(self.last - self.count + 1, self.last + 1)


class NonceStore(Protocol):
    async def reserve(
        self,
        sender: bytes,
        recipient_rand_hash: bytes,
        *,
        want: int,
        need: int,
        limit: int,
        floor: int = 0,
    ) -> Reservation:
        """Up to `want` (at least `need`) consecutive nonces above max(counter, `floor`), none
        past `limit`. `floor` is the last nonce a caller is known to have used (the
        remote-signer state blob's), so even a wiped Redis never hands it out again."""
        ...


class RedisNonceStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._keys = keys
        self._reserve = redis.register_script(_RESERVE)

    async def reserve(
        self,
        sender: bytes,
        recipient_rand_hash: bytes,
        *,
        want: int,
        need: int,
        limit: int,
        floor: int = 0,
    ) -> Reservation:
        key = self._keys.nonce("0x" + sender.hex(), "0x" + recipient_rand_hash.hex())
        count, last = await self._reserve(keys=[key], args=[want, need, limit, NONCE_TTL_S, floor])
        return Reservation(count=int(count), last=int(last))


@dataclass
class _Block:
    next: int
    last: int


class NonceBlocks:
    """Nonces for payment sessions, reserved `BLOCK` at a time and handed out from memory.

    Handing out never awaits, so concurrent takers never share a nonce; two that reserve at
    the same moment each get a block of their own (the rest of the older one stays unused)."""

    def __init__(self, store: NonceStore, block: int = BLOCK, kept: int = KEPT_BLOCKS) -> None:
        self._store = store
        self._block = block
        self._kept = kept
        self._blocks: dict[bytes, _Block] = {}

    async def take(
        self, sender: bytes, recipient_rand_hash: bytes, count: int, limit: int
    ) -> Reservation:
        """`count` consecutive nonces, or a refused Reservation when `limit` is reached."""
        held = self._blocks.get(recipient_rand_hash)
        if held is None or held.last - held.next + 1 < count:
            reserved = await self._store.reserve(
                sender, recipient_rand_hash, want=max(count, self._block), need=count, limit=limit
            )
            if not reserved.granted:
                self._blocks.pop(recipient_rand_hash, None)
                return reserved
            held = _Block(reserved.nonces.start, reserved.last)
            self._keep(recipient_rand_hash, held)
        first = held.next
        held.next += count
        return Reservation(count=count, last=first + count - 1)

    def _keep(self, recipient_rand_hash: bytes, block: _Block) -> None:
        """Params expire within minutes; the oldest blocks go first past `kept` of them."""
        self._blocks.pop(recipient_rand_hash, None)
        self._blocks[recipient_rand_hash] = block
        while len(self._blocks) > self._kept:
            del self._blocks[next(iter(self._blocks))]
