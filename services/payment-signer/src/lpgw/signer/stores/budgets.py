"""Spend budgets: EV signed per client per period and per job, checked and added at once.

The counters are integer wei in Redis (INCRBY is exact up to 2**63 − 1, which settings
enforce for budgets). One Lua script charges every counter of a call or none: it adds, compares
the stored decimal strings exactly (by length, then digits: Lua numbers are doubles), and
takes everything back when one budget would be exceeded.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from lpgw.signer.policy.limits import Budget

_CHARGE = """
local amount = ARGV[1]
local function above(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end
for i = 1, #KEYS do
  local before = redis.call('GET', KEYS[i]) or '0'
  redis.call('INCRBY', KEYS[i], amount)
  local now = redis.call('GET', KEYS[i])
  if above(now, ARGV[2 * i]) then
    for j = 1, i do redis.call('DECRBY', KEYS[j], amount) end
    return {i, before}
  end
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i + 1])
end
return {0, '0'}
"""


@dataclass(frozen=True)
class Refused:
    """The budget that would be exceeded and what it had spent before this call."""

    budget: Budget
    spent_before: int


class BudgetStore(Protocol):
    async def charge(self, budgets: Sequence[Budget], amount: int) -> Refused | None:
        """Add `amount` to every budget, or to none and say which one refused."""
        ...

    async def refund(self, budgets: Sequence[Budget], amount: int) -> None: ...


class RedisBudgetStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._charge = redis.register_script(_CHARGE)

    async def charge(self, budgets: Sequence[Budget], amount: int) -> Refused | None:
        if not budgets or amount <= 0:
            return None
        args: list[str | int] = [amount]
        for budget in budgets:
            args += [budget.allowed, budget.ttl_s]
        index, before = await self._charge(keys=[b.key for b in budgets], args=args)
        if index == 0:
            return None
        return Refused(budgets[int(index) - 1], int(before))

    async def refund(self, budgets: Sequence[Budget], amount: int) -> None:
        if not budgets or amount <= 0:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for budget in budgets:
                pipe.decrby(budget.key, amount)
            await pipe.execute()
