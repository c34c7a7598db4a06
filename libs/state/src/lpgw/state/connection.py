"""The Redis/Valkey client every service shares: retries through a server restart.

Commands that hit a dropped connection are retried with exponential backoff on a fresh
connection, so a Valkey restart costs callers a short delay instead of an error.
"""

import asyncio

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError, TimeoutError

RETRIES = 8
BACKOFF_BASE_S = 0.05
BACKOFF_CAP_S = 1.0
SOCKET_TIMEOUT_S = 5.0
HEALTH_CHECK_INTERVAL_S = 10
PING_TIMEOUT_S = 2.0


async def connect(url: str) -> aioredis.Redis:
    """A client for `url` (redis://host:port/db) that retries on connection errors and
    timeouts. Connections are made lazily, so this succeeds even while the server is down."""
    return aioredis.Redis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=BACKOFF_CAP_S, base=BACKOFF_BASE_S), RETRIES),
        retry_on_error=[ConnectionError, TimeoutError],
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=HEALTH_CHECK_INTERVAL_S,
        socket_keepalive=True,
    )


async def ping(client: aioredis.Redis, within_s: float = PING_TIMEOUT_S) -> bool:
    """For readiness: True when the server answers PING within `within_s` seconds."""
    try:
        async with asyncio.timeout(within_s):
            return bool(await client.ping())
    except (RedisError, OSError):
        return False
