"""Admitting one request: the key's record checked and its rate limit charged in one script,
so a request costs one Redis round trip; the script's answer read as a typed decision.

The rate limit is GCRA (a token bucket kept as one number, the "theoretical arrival time"),
timed by the Redis server's clock so every intake replica shares one bucket per key whatever
their own clocks say. A wrong secret is refused before the bucket is charged, so knowing a
key's public id is not enough to use up its rate.

The secret's digest is compared in constant time (XOR accumulated over every byte) inside the
script; the digest of a 256-bit secret leaks nothing useful anyway, but the comparison does not
depend on that.
"""

from dataclasses import dataclass
from typing import Literal

ADMIT_SCRIPT = """
local record = redis.call('HMGET', KEYS[1], 'sha256', 'revoked', 'rate_per_minute', 'name')
local stored, presented = record[1], ARGV[1]
if not stored then return {0, 'unknown'} end
if record[2] then return {0, 'revoked'} end
if #stored ~= #presented then return {0, 'mismatch'} end
local diff = 0
for i = 1, #stored do
  diff = bit.bor(diff, bit.bxor(string.byte(stored, i), string.byte(presented, i)))
end
if diff ~= 0 then return {0, 'mismatch'} end
local name = record[4] or ''
local rate = tonumber(ARGV[2])
if record[3] then rate = tonumber(record[3]) end
if rate <= 0 then return {1, name} end
local burst = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = 60000000 / rate
local tat = tonumber(redis.call('HGET', KEYS[2], 'tat')) or now
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - interval * burst
if now < allowed_at then return {2, string.format('%.0f', math.ceil(allowed_at - now))} end
redis.call('HSET', KEYS[2], 'tat', string.format('%.0f', math.ceil(next_tat)))
redis.call('PEXPIRE', KEYS[2], math.ceil((next_tat - now) / 1000) + 1000)
return {1, name}
"""
"""KEYS: the record, the rate bucket. ARGV: the presented secret's digest, the default rate per
minute, the burst. Answers {1, name}, {0, reason} or {2, microseconds until admitted}."""

RefusalReason = Literal["unknown", "revoked", "mismatch"]


@dataclass(frozen=True)
class Admitted:
    key_id: str
    name: str


@dataclass(frozen=True)
class Refused:
    """Unknown key, revoked key or wrong secret: the client is told only "invalid API key"; the
    reason is for logs."""

    key_id: str
    reason: RefusalReason


@dataclass(frozen=True)
class Throttled:
    key_id: str
    retry_after_s: float


Decision = Admitted | Refused | Throttled

_REASONS: dict[str, RefusalReason] = {"unknown": "unknown", "revoked": "revoked"}


def decide(key_id: str, reply: list[bytes | int]) -> Decision:
    """The script's answer as a decision."""
    code, detail = int(reply[0]), reply[1]
    text = detail.decode() if isinstance(detail, bytes) else str(detail)
    if code == 1:
        return Admitted(key_id, text)
    if code == 2:
        return Throttled(key_id, int(text) / 1_000_000)
    return Refused(key_id, _REASONS.get(text, "mismatch"))
