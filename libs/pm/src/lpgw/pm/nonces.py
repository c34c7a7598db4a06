"""Nonce rules (payments.md §5).

Sender: one counter per (sender, recipientRandHash), incremented before use, so the first
ticket has nonce 1 and a batch takes consecutive values. Recipient: a set of seen nonces per
recipientRand, capped at 600, dropped once the params expire. Only uniqueness and the cap are
enforced; order does not matter.

The rules are pure functions over plain data; counters that live in Redis implement the
`NonceStore` protocol with an atomic increment.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from lpgw.pm.errors import NonceAlreadySeen, TooManyNonces
from lpgw.pm.tickets import MAX_SENDER_NONCE

#: Distinct nonces a recipient accepts under one recipientRand.
MAX_SENDER_NONCES = 600

K = TypeVar("K")


# --- sender -------------------------------------------------------------------------------


def batch_nonces(last_used: int, count: int) -> range:
    """The `count` nonces after `last_used` (0 for fresh params)."""
    if count < 0:
        raise ValueError("count is not negative")
    if last_used < 0 or last_used + count > MAX_SENDER_NONCE:
        raise ValueError("sender nonces are uint32 values")
    return range(last_used + 1, last_used + count + 1)


class NonceStore(Protocol):
    """Counters per (sender, recipientRandHash) that concurrent workers share.

    `advance` must be atomic (Redis INCRBY): two workers with the same counter state would
    produce duplicate nonces, and the orchestrator refuses the second.
    """

    async def advance(self, sender: bytes, recipient_rand_hash: bytes, count: int) -> int:
        """Add `count` to the counter and return its new value (the last nonce to use)."""
        ...


@dataclass
class MemoryNonceStore:
    """In-process NonceStore for single-worker use and tests."""

    counters: dict[tuple[bytes, bytes], int] = field(default_factory=dict)

    async def advance(self, sender: bytes, recipient_rand_hash: bytes, count: int) -> int:
        key = (sender, recipient_rand_hash)
        last = self.counters.get(key, 0)
        batch = batch_nonces(last, count)
        self.counters[key] = last + len(batch)
        return self.counters[key]


async def reserve_nonces(
    store: NonceStore, sender: bytes, recipient_rand_hash: bytes, count: int
) -> range:
    """Take `count` consecutive fresh nonces for tickets under these params."""
    last = await store.advance(sender, recipient_rand_hash, count)
    return batch_nonces(last - count, count)


# --- recipient ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeenNonces:
    """Nonces accepted under one recipientRand, kept until its params expire."""

    expiration_block: int
    nonces: frozenset[int] = frozenset()


def record_nonce(
    seen: SeenNonces | None, *, sender: bytes, nonce: int, expiration_block: int
) -> SeenNonces:
    """The seen-set with `nonce` added; raises on a repeat or past the cap, in that order."""
    if seen is None:
        return SeenNonces(expiration_block=expiration_block, nonces=frozenset({nonce}))
    if nonce in seen.nonces:
        raise NonceAlreadySeen(sender, nonce)
    if len(seen.nonces) >= MAX_SENDER_NONCES:
        raise TooManyNonces(sender, nonce)
    return SeenNonces(expiration_block=seen.expiration_block, nonces=seen.nonces | {nonce})


def drop_expired(table: Mapping[K, SeenNonces], latest_l1_block: int) -> dict[K, SeenNonces]:
    """Entries whose params are still live (expiration block > latest L1 block)."""
    return {key: seen for key, seen in table.items() if seen.expiration_block > latest_l1_block}
