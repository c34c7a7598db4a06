"""`make run`'s development keys: made once, kept 0600 in the data directory, and the API key
made again when Redis no longer accepts the kept one; `run` prints it with a curl line."""

import asyncio
import stat
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from lpgw.apikeys import ApiKeyStore, parse_key
from lpgw.stack.cli import _announce
from lpgw.stack.devkeys import (
    dev_api_key,
    dev_stream_key,
    keep_secret,
    kept_secret,
    new_api_key,
)
from lpgw.stack.settings import StackSettings
from lpgw.stack.topology import Gateway
from lpgw.state import Keys


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_stream_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    key = dev_stream_key(tmp_path / "data")
    assert len(key) >= 24
    assert dev_stream_key(tmp_path / "data") == key
    assert mode(tmp_path / "data" / "stream-key") == 0o600


def test_a_kept_secret_is_rewritten_private(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    assert kept_secret(path) is None
    path.write_text("\n")
    assert kept_secret(path) is None
    path.chmod(0o644)
    keep_secret(path, "s3cret")
    assert kept_secret(path) == "s3cret" and mode(path) == 0o600


async def test_the_api_key_is_kept_while_redis_accepts_it(
    tmp_path: Path, redis_url: str, prefix: str, redis: aioredis.Redis
) -> None:
    store = ApiKeyStore(redis, Keys(prefix))
    key = await asyncio.to_thread(dev_api_key, tmp_path, redis_url, prefix)
    path = tmp_path / "api-key"
    assert kept_secret(path) == key and mode(path) == 0o600
    record = await store.verify(parse_key(key))
    assert record is not None and record.name == "make run (development)"
    assert await asyncio.to_thread(dev_api_key, tmp_path, redis_url, prefix) == key

    await store.revoke(record.key_id)
    renewed = await asyncio.to_thread(dev_api_key, tmp_path, redis_url, prefix)
    assert renewed != key and kept_secret(path) == renewed
    assert await store.verify(parse_key(renewed)) is not None

    path.write_text("garbage")
    again = await asyncio.to_thread(dev_api_key, tmp_path, redis_url, prefix)
    assert again != renewed and await store.verify(parse_key(again)) is not None
    assert len(await store.list()) == 3


def test_run_prints_the_api_key_and_a_curl_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = Gateway(
        intake_url="http://127.0.0.1:8935",
        delivery_url="http://127.0.0.1:8937",
        signer_url="http://127.0.0.1:8939",
        signer_token_file=tmp_path / "signer" / "token",
        health_urls={},
        rtmp_url="rtmp://127.0.0.1:1935/live",
        api_key="lpgw_0123456789ab_secret",
    )
    assert "secret" not in repr(gateway)
    _announce(gateway, tmp_path, StackSettings())
    out = capsys.readouterr().out
    assert "API key (dev)         lpgw_0123456789ab_secret" in out
    assert f'-H "Authorization: Bearer $(cat {tmp_path / "api-key"})"' in out
    assert "curl -s http://127.0.0.1:8935/text-to-image" in out


async def test_a_new_api_key_can_be_made_from_inside_an_event_loop(
    redis_url: str, prefix: str, redis: aioredis.Redis
) -> None:
    """start_gateway makes one this way when the caller brings none."""
    key = new_api_key(redis_url, prefix, "lpgw-stack")
    record = await ApiKeyStore(redis, Keys(prefix)).verify(parse_key(key))
    assert record is not None and record.name == "lpgw-stack"
