"""Payment sessions in Redis, so that any signer replica can take the payments of a session
another one opened.

A session is stored as the raw fields it was opened with (the OrchestratorInfo exactly as
received, the capabilities, the bucket) and when it ends, and expires then; a replica that
meets an unknown session id loads it once and rebuilds what it derives from it.
"""

from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from lpgw.state import Keys


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    client: str
    info: bytes
    """The OrchestratorInfo as received (protobuf)."""
    capabilities: bytes
    """Capabilities (protobuf) copied into the segment credentials; empty: none."""
    pipeline: str
    model_id: str
    bucket: str
    expires_at: float | None = None
    """Unix time the session ends (payments/sessions.py `session_expiry`); None in records of
    older replicas, whose sessions end with their auth token."""

    def fields(self) -> dict[str, bytes | str]:
        fields: dict[str, bytes | str] = {
            "client": self.client,
            "info": self.info,
            "capabilities": self.capabilities,
            "pipeline": self.pipeline,
            "model_id": self.model_id,
            "bucket": self.bucket,
        }
        if self.expires_at is not None:
            fields["expires_at"] = repr(self.expires_at)
        return fields


class SessionStore(Protocol):
    async def save(self, record: SessionRecord, ttl_s: int) -> None: ...

    async def load(self, session_id: str) -> SessionRecord | None:
        """The session, or None when it was never opened or has expired."""
        ...


class RedisSessionStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, record: SessionRecord, ttl_s: int) -> None:
        key = self._keys.payment_session(record.session_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=record.fields())  # type: ignore[arg-type]
            pipe.expire(key, max(ttl_s, 1))
            await pipe.execute()

    async def load(self, session_id: str) -> SessionRecord | None:
        raw = await self._redis.hgetall(self._keys.payment_session(session_id))
        if not raw:
            return None
        fields: dict[str, bytes] = {_bytes(k).decode(): _bytes(v) for k, v in raw.items()}
        return SessionRecord(
            session_id=session_id,
            client=fields["client"].decode(),
            info=fields["info"],
            capabilities=fields["capabilities"],
            pipeline=fields["pipeline"].decode(),
            model_id=fields["model_id"].decode(),
            bucket=fields["bucket"].decode(),
            expires_at=float(fields["expires_at"]) if "expires_at" in fields else None,
        )


def _bytes(value: bytes | str) -> bytes:
    """redis-py answers bytes (no `decode_responses`); its types also allow str."""
    return value.encode() if isinstance(value, str) else value
