"""Credit per (recipient, bucket), in Redis, shared by every signer replica.

Credit is an exact rational (ticket EV has 2²⁵⁶ − 1 in its denominator), which Redis cannot
add, so it changes by compare-and-set: the hash holds the amount and a version; a replica
computes the new amount in Python and one script writes it only if the version is still the
one it read, together with a marker that makes the change happen once (a payment's record, or
a settlement's). The replica remembers the last state it wrote or read and serializes its own
changes of one credit with a lock, so while it is the only writer, the usual case, a change
costs one round trip; when another replica wrote in between, the script answers the current
state and the caller computes again. A change made for an account (API key) moves the
account's spend in the same script (`stores/accounts.py`), so it is counted exactly once too.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from fractions import Fraction

import redis.asyncio as aioredis
from lpgw.pm.rationals import parse_rat, rat_string
from lpgw.signer.stores.accounts import ADD_SPEND_LUA, SpendChange, report_refused
from lpgw.state import Keys

#: The orchestrator deletes a balance untouched for 10 min (payments.md §3.4); ours follows,
#: so we never count on credit the orchestrator has already dropped.
CREDIT_IDLE_TTL_S = 600

# KEYS: credit hash, marker[, account spend]. ARGV: expected version, new amount, marker
# value, marker TTL, credit TTL[, spend wei, spend payments]. Answers {1, version, spent}
# written (spent: 1 the spend moved or there was none, 0 Redis refused it), {2, marker} the
# marker exists (nothing written), {0, version, amount} another writer came first (nothing
# written).
_COMMIT = (
    ADD_SPEND_LUA
    + """
local marker = redis.call('GET', KEYS[2])
if marker then return {2, marker} end
local state = redis.call('HMGET', KEYS[1], 'v', 'c')
local version = state[1] or '0'
if version ~= ARGV[1] then return {0, version, state[2] or '0'} end
local next_version = tostring(tonumber(version) + 1)
redis.call('HSET', KEYS[1], 'v', next_version, 'c', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
local spent = 1
if #KEYS > 2 then spent = add_spend(KEYS[3], ARGV[6], ARGV[7]) end
return {1, next_version, spent}
"""
)


@dataclass(frozen=True)
class CreditState:
    version: int
    amount: Fraction


@dataclass(frozen=True)
class Marked:
    """The marker was already set: this change happened before (its value is returned)."""

    value: str


@dataclass(frozen=True)
class Moved:
    """Another writer changed the credit first: compute again from `state`."""

    state: CreditState


class Held:
    """One credit, held by this replica's lock: read it, then commit a change."""

    def __init__(self, ledger: "CreditLedger", key: str) -> None:
        self._ledger = ledger
        self._key = key

    async def state(self) -> CreditState:
        known = self._ledger.known.get(self._key)
        if known is not None:
            return known
        version, amount = await self._ledger.redis.hmget(self._key, ["v", "c"])
        state = CreditState(int(version or 0), parse_rat(amount or b"0"))
        self._ledger.known[self._key] = state
        return state

    async def commit(
        self,
        read: CreditState,
        amount: Fraction,
        marker: str,
        value: str,
        marker_ttl_s: int,
        spend: SpendChange | None = None,
    ) -> CreditState | Marked | Moved:
        """Write `amount`, set `marker` to `value` and apply `spend`, if the credit is still
        `read` and the marker unset."""
        keys = [self._key, marker]
        args: list[str | int] = [
            read.version,
            rat_string(amount),
            value,
            marker_ttl_s,
            CREDIT_IDLE_TTL_S,
        ]
        if spend is not None:
            keys.append(spend.key)
            args += spend.script_args()
        answer = await self._ledger.commit_script(keys=keys, args=args)
        if answer[0] == 2:
            return Marked(_text(answer[1]))
        if answer[0] == 0:
            moved = CreditState(int(answer[1]), parse_rat(answer[2]))
            self._ledger.known[self._key] = moved
            return Moved(moved)
        if spend is not None:
            report_refused(spend, int(answer[2]))
        written = CreditState(int(answer[1]), amount)
        self._ledger.known[self._key] = written
        return written


class CreditLedger:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self._keys = keys
        self.commit_script = redis.register_script(_COMMIT)
        self.known: dict[str, CreditState] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, recipient: str, bucket: str) -> AsyncIterator[Held]:
        """This replica's changes of one credit, one at a time."""
        key = self._keys.credit(recipient, bucket)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            yield Held(self, key)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
