"""Spend per account (API key) in Redis: what the signer paid for one key's requests.

The hash `Keys.account_spend(account)` holds `wei` (fees in whole wei, each rounded up) and
`payments` (how many). A payment changes it in the same script that writes the payment's
record (the credit commit, `CreditLedger`, or `record_marked` below for payments that move
no credit), and a staged settlement takes it back in the script that marks the settlement:
the marker makes each change happen once, however often a call is retried, and a payment
costs no extra round trip for it.

The counters are `HINCRBY` integers, so they stop at 2⁶³ − 1 wei (about 9.2 ETH) per key.
An increment Redis refuses (overflow) is caught inside the script: the payment and its
record are written all the same, the counter is left as it was, and the replica logs
`account_spend_not_recorded`. Bookkeeping never stops a payment.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

import redis.asyncio as aioredis
from lpgw.service.logs import get_logger
from lpgw.state import Keys

log = get_logger(__name__)

#: Lua: add_spend(key, wei, payments) → 1 when the counters moved, 0 when Redis refused the
#: `wei` increment (nothing moved; a `payments` count cannot reach 2⁶³). Shared by every
#: script that marks a change once.
ADD_SPEND_LUA = """
local function add_spend(key, wei, payments)
  local moved = redis.pcall('HINCRBY', key, 'wei', wei)
  if type(moved) == 'table' and moved.err then return 0 end
  redis.pcall('HINCRBY', key, 'payments', payments)
  return 1
end
"""

# KEYS: marker, account spend. ARGV: marker value, marker TTL, wei, payments.
# Answers {1, spent} (marker set, spend added: spent 1, or refused: 0), or {2, marker} when the
# marker existed (nothing written).
_MARKED_SPEND = (
    ADD_SPEND_LUA
    + """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return {1, add_spend(KEYS[2], ARGV[3], ARGV[4])}
end
return {2, redis.call('GET', KEYS[1])}
"""
)


@dataclass(frozen=True)
class SpendChange:
    """What one payment adds to (or a staged settlement takes from) its account's spend."""

    account: str
    key: str
    wei: int
    payments: int

    def reverted(self) -> "SpendChange":
        return SpendChange(self.account, self.key, -self.wei, -self.payments)

    def script_args(self) -> list[int]:
        return [self.wei, self.payments]


def spend_change(keys: Keys, account: str, fee: Fraction) -> SpendChange | None:
    """One payment of `fee` for `account` ("" counts nothing): the fee rounded up to whole wei,
    so an account is never shown to have cost less than it did."""
    if not account:
        return None
    return SpendChange(account, keys.account_spend(account), math.ceil(fee), 1)


def report_refused(change: SpendChange, spent: int) -> None:
    """Log a change the script could not add (the counter is full); the payment stands."""
    if not spent:
        log.warning(
            "account_spend_not_recorded",
            extra={"account": change.account, "wei": change.wei, "payments": change.payments},
        )


class AccountSpend:
    """Markers written together with a spend change, for payments the credit ledger does not
    see (sessions whose orchestrator takes no tickets)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._script = redis.register_script(_MARKED_SPEND)

    async def record_marked(
        self, marker: str, value: str, ttl_s: int, change: SpendChange
    ) -> str | None:
        """Set `marker` to `value` and apply `change`, unless the marker exists: then nothing
        is written and its value is returned."""
        answer = await self._script(
            keys=[marker, change.key], args=[value, ttl_s, *change.script_args()]
        )
        if answer[0] == 2:
            raw = answer[1]
            return raw.decode() if isinstance(raw, bytes) else str(raw)
        report_refused(change, int(answer[1]))
        return None
