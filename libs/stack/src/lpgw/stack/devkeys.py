"""The development credentials of `make run`: an RTMP stream key and an API key, each made once
and kept in the data directory (mode 0600), so they last across runs and `make demo` (or a
developer's curl) can read them.

The API key is checked against Redis at every start: when Valkey's data was wiped or the key
was revoked, a new one is made and kept instead.
"""

import asyncio
import os
import secrets
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lpgw.apikeys import ApiKeyStore, MalformedKey, parse_key
from lpgw.state import Keys, connect

STREAM_KEY_FILE = "stream-key"
API_KEY_FILE = "api-key"
DEV_KEY_NAME = "make run (development)"
T = TypeVar("T")


def kept_secret(path: Path) -> str | None:
    """The secret kept at `path`, or None when there is none (missing or empty file)."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return text or None


def keep_secret(path: Path, text: str) -> None:
    """Write `text` readable by the owner only (also when the file existed with wider modes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")


def dev_stream_key(data: Path) -> str:
    """The development stream key (`{data}/stream-key`), made on first use."""
    path = data / STREAM_KEY_FILE
    key = kept_secret(path)
    if key is None:
        key = secrets.token_urlsafe(18)
        keep_secret(path, key)
    return key


def dev_api_key(data: Path, redis_url: str, prefix: str) -> str:
    """The development API key (`{data}/api-key`): the kept one while Redis still accepts it,
    else a new one (made in Redis under `prefix`, then kept)."""
    path = data / API_KEY_FILE
    kept = kept_secret(path)
    if kept is not None and _wait(_accepted(redis_url, prefix, kept)):
        return kept
    key = new_api_key(redis_url, prefix, DEV_KEY_NAME)
    keep_secret(path, key)
    return key


def new_api_key(redis_url: str, prefix: str, name: str) -> str:
    """A new API key (default rate) in Redis under `prefix`; its plaintext is returned only."""
    return _wait(_create(redis_url, prefix, name))


def _wait(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to its end from synchronous code, also when this thread runs an event loop
    (then on a worker thread with a loop of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


async def _accepted(redis_url: str, prefix: str, key: str) -> bool:
    try:
        presented = parse_key(key)
    except MalformedKey:
        return False
    redis = await connect(redis_url)
    try:
        return await ApiKeyStore(redis, Keys(prefix)).verify(presented) is not None
    finally:
        await redis.aclose()


async def _create(redis_url: str, prefix: str, name: str) -> str:
    redis = await connect(redis_url)
    try:
        _, key = await ApiKeyStore(redis, Keys(prefix)).create(name)
    finally:
        await redis.aclose()
    return key.get_secret_value()
