"""`VideoStreams`: live streams' records, delivered segments and ownership leases in Redis.

Every write that must stay consistent is one script (one round trip): a stream opens under the
concurrency cap, a delivered segment is recorded once however often it is retried, a stream
ends once, a lease is taken by one worker and renewed only by its holder.
"""

import builtins
import json
import time
from collections.abc import Mapping
from typing import Any

from lpgw.state import Keys
from lpgw.video.records import IngestKind, SegmentRecord, StreamRecord
from redis.asyncio import Redis


class StreamsFull(Exception):
    """The gateway already runs its maximum number of live streams."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"too many live streams (limit {limit})")
        self.limit = limit


class StreamEnded(Exception):
    """The stream was ended (by the API or idle timeout) and cannot take more input."""


_OPEN = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'live' then
  return {1, redis.call('HINCRBY', KEYS[1], 'last_seq', 0)}
end
if tonumber(ARGV[1]) > 0 and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[1]) then
  return {-1, 0}
end
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[2])
if state == 'ended' then
  redis.call('HSET', KEYS[1], 'state', 'live')
  redis.call('HDEL', KEYS[1], 'ended_at', 'end_reason')
  for i = 4, #KEYS do redis.call('PERSIST', KEYS[i]) end
  redis.call('PERSIST', KEYS[1])
  return {1, redis.call('HINCRBY', KEYS[1], 'last_seq', 0)}
end
redis.call('HSET', KEYS[1], 'stream_id', ARGV[2], 'kind', ARGV[3], 'state', 'live',
  'profiles', ARGV[4], 'created_at', ARGV[5], 'last_seq', -1)
return {0, -1}
"""

_TAKE_SEQ = """
if redis.call('HGET', KEYS[1], 'state') ~= 'live' then return -1 end
redis.call('HINCRBY', KEYS[1], 'segments_in', 1)
redis.call('HSET', KEYS[1], 'last_input_at', ARGV[1])
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'discontinuities', 1) end
if ARGV[3] ~= '' then
  local last = tonumber(redis.call('HGET', KEYS[1], 'last_seq'))
  if tonumber(ARGV[3]) > last then redis.call('HSET', KEYS[1], 'last_seq', ARGV[3]) end
  return tonumber(ARGV[3])
end
return redis.call('HINCRBY', KEYS[1], 'last_seq', 1)
"""

_DELIVER = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
redis.call('HINCRBY', KEYS[1], 'segments_out', 1)
if ARGV[3] == '0' then redis.call('HINCRBY', KEYS[1], 'gaps', 1) end
redis.call('HINCRBY', KEYS[1], 'spend_wei', ARGV[4])
redis.call('HSET', KEYS[1], 'last_delivered_at', ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'orchestrator', ARGV[6]) end
return 1
"""

_CLAIM = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'worker', ARGV[1]) end
return 1
"""

_END = """
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], 'state') ~= 'live' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'ended', 'ended_at', ARGV[2], 'end_reason', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
for i = 3, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
return 1
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_INT_FIELDS = ("segments_in", "segments_out", "gaps", "discontinuities", "spend_wei", "last_seq")
_FLOAT_FIELDS = ("created_at", "ended_at", "last_input_at", "last_delivered_at")


class VideoStreams:
    def __init__(self, redis: Redis, keys: Keys, retention_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._retention_ms = max(1, round(retention_s * 1000))
        self._open = redis.register_script(_OPEN)
        self._take_seq = redis.register_script(_TAKE_SEQ)
        self._deliver = redis.register_script(_DELIVER)
        self._claim = redis.register_script(_CLAIM)
        self._end = redis.register_script(_END)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    # Intake -----------------------------------------------------------------------------------
    async def open(
        self, stream_id: str, kind: IngestKind, profiles: list[dict[str, Any]], max_live: int
    ) -> tuple[bool, int]:
        """Start the stream, or resume it: a publisher that reconnects, or a stream ended earlier
        and still retained, whose recording then goes on after a discontinuity.

        Returns (resumed, last sequence number taken). StreamsFull past `max_live` (0: no cap).
        A resumed stream keeps its first profiles."""
        keys = [
            self._keys.video_stream(stream_id),
            self._keys.video_streams,
            self._keys.video_live,
            self._keys.video_segments(stream_id),
            self._keys.video_order(stream_id),
            self._keys.video_worker_state(stream_id),
        ]
        args: list[str | int | float] = [
            max_live,
            stream_id,
            kind,
            json.dumps(profiles),
            time.time(),
        ]
        status, last_seq = await self._open(keys=keys, args=args)
        if status == -1:
            raise StreamsFull(max_live)
        return status == 1, int(last_seq)

    async def take_seq(
        self, stream_id: str, *, discontinuity: bool = False, seq: int | None = None
    ) -> int:
        """Count one input segment and give its sequence number: the next one, or `seq` as the
        publisher numbered it (HTTP push). StreamEnded if the stream is no longer live."""
        if seq is not None and seq < 0:
            raise ValueError(f"sequence number {seq} is negative")
        args = [time.time(), "1" if discontinuity else "0", "" if seq is None else seq]
        taken = int(await self._take_seq(keys=[self._keys.video_stream(stream_id)], args=args))
        if taken < 0:
            raise StreamEnded(stream_id)
        return taken

    # Session ----------------------------------------------------------------------------------
    async def deliver(self, record: SegmentRecord, spend_wei: int) -> bool:
        """Record a delivered segment once (a retry of the same seq changes nothing): False if
        it was already recorded, or the stream's record is gone. A segment finishing after the
        stream ended is kept, and expires with the stream."""
        stream_id = record.stream_id
        keys = [
            self._keys.video_stream(stream_id),
            self._keys.video_segments(stream_id),
            self._keys.video_order(stream_id),
        ]
        args: list[str | int | float] = [
            record.seq,
            record.model_dump_json(),
            "1" if record.transcoded else "0",
            spend_wei,
            record.delivered_at,
            record.orchestrator or "",
        ]
        return bool(await self._deliver(keys=keys, args=args))

    async def claim(self, stream_id: str, worker: str, ttl_s: float) -> bool:
        """Take the stream's lease if nobody holds it."""
        keys = [self._keys.video_lease(stream_id), self._keys.video_stream(stream_id)]
        return bool(await self._claim(keys=keys, args=[worker, int(ttl_s * 1000)]))

    async def renew(self, stream_id: str, worker: str, ttl_s: float) -> bool:
        """Extend the lease; False if this worker no longer holds it (stop working the stream)."""
        key = self._keys.video_lease(stream_id)
        return bool(await self._renew(keys=[key], args=[worker, int(ttl_s * 1000)]))

    async def renew_all(
        self, stream_ids: builtins.list[str], worker: str, ttl_s: float
    ) -> builtins.list[str]:
        """Extend every lease this worker holds in one round trip; the ids it no longer holds."""
        if not stream_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream_id in stream_ids:
                key = self._keys.video_lease(stream_id)
                await self._renew(keys=[key], args=[worker, int(ttl_s * 1000)], client=pipe)
            held = await pipe.execute()
        return [stream_id for stream_id, ok in zip(stream_ids, held, strict=True) if not ok]

    async def release(self, stream_id: str, worker: str) -> None:
        await self._release(keys=[self._keys.video_lease(stream_id)], args=[worker])

    async def live_ids(self) -> list[str]:
        return sorted(_text(m) for m in await self._redis.smembers(self._keys.video_live))

    async def save_worker_state(self, stream_id: str, state: dict[str, Any]) -> None:
        key = self._keys.video_worker_state(stream_id)
        await self._redis.set(key, json.dumps(state), px=self._retention_ms)

    async def worker_state(self, stream_id: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._keys.video_worker_state(stream_id))
        return json.loads(raw) if raw else None

    # Anyone -----------------------------------------------------------------------------------
    async def end(self, stream_id: str, reason: str) -> bool:
        """Mark the stream ended (its recording gets `#EXT-X-ENDLIST`) and start its retention
        clock. False if it was not live."""
        keys = [
            self._keys.video_stream(stream_id),
            self._keys.video_live,
            self._keys.video_segments(stream_id),
            self._keys.video_order(stream_id),
            self._keys.video_worker_state(stream_id),
        ]
        args: list[str | int | float] = [stream_id, time.time(), reason, self._retention_ms]
        return bool(await self._end(keys=keys, args=args))

    async def get(self, stream_id: str) -> StreamRecord | None:
        raw = await self._redis.hgetall(self._keys.video_stream(stream_id))
        return _stream(raw) if raw else None

    async def list(self, limit: int = 1000) -> list[StreamRecord]:
        """Newest first; streams whose retention passed are dropped from the index here."""
        if limit <= 0:
            return []
        index = self._keys.video_streams
        ids = [_text(m) for m in await self._redis.zrevrange(index, 0, limit - 1)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream_id in ids:
                pipe.hgetall(self._keys.video_stream(stream_id))
            rows = await pipe.execute()
        gone = [stream_id for stream_id, raw in zip(ids, rows, strict=True) if not raw]
        if gone:
            await self._redis.zrem(index, *gone)
        return [_stream(raw) for raw in rows if raw]

    async def window(self, stream_id: str, size: int) -> builtins.list[SegmentRecord]:
        """The last `size` delivered segments, in sequence order (a live playlist)."""
        if size <= 0:
            return []
        order = self._keys.video_order(stream_id)
        seqs = await self._redis.zrange(order, -size, -1)
        return await self._records(stream_id, seqs)

    async def segments(self, stream_id: str) -> builtins.list[SegmentRecord]:
        """Every delivered segment still retained, in sequence order (the recording)."""
        seqs = await self._redis.zrange(self._keys.video_order(stream_id), 0, -1)
        return await self._records(stream_id, seqs)

    async def segment(self, stream_id: str, seq: int) -> SegmentRecord | None:
        raw = await self._redis.hget(self._keys.video_segments(stream_id), str(seq))
        return SegmentRecord.model_validate_json(raw) if raw else None

    async def _records(
        self, stream_id: str, seqs: builtins.list[Any]
    ) -> builtins.list[SegmentRecord]:
        if not seqs:
            return []
        rows = await self._redis.hmget(self._keys.video_segments(stream_id), seqs)
        return [SegmentRecord.model_validate_json(row) for row in rows if row]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _stream(raw: Mapping[Any, Any]) -> StreamRecord:
    fields: dict[str, Any] = {_text(k): _text(v) for k, v in raw.items()}
    fields["profiles"] = json.loads(fields.get("profiles", "[]"))
    for name in _INT_FIELDS:
        if name in fields:
            fields[name] = int(fields[name])
    for name in _FLOAT_FIELDS:
        if name in fields:
            fields[name] = float(fields[name])
    return StreamRecord.model_validate(fields)
