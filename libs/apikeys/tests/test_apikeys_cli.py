"""`lpgw-api-keys` run in-process (in a thread: it runs its own event loop) against Valkey: the
key is printed by `create` only, and no command ever prints a stored hash."""

import asyncio

import pytest
import redis.asyncio as aioredis
from lpgw.apikeys import ApiKeyStore, Spend, parse_key
from lpgw.apikeys.cli import main
from lpgw.apikeys.records import text
from lpgw.stack.ports import free_port
from lpgw.state import Keys


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def test_create_list_show_revoke(
    capsys: pytest.CaptureFixture[str], redis_url: str, prefix: str, redis: aioredis.Redis
) -> None:
    base = ("--redis-url", redis_url, "--prefix", prefix)
    code, out, _ = await cli(capsys, *base, "create", "--name", "alice", "--rate-per-minute", "90")
    assert code == 0
    [key] = [line.split()[-1] for line in out.splitlines() if line.startswith("API key:")]
    key_id = parse_key(key).key_id
    assert "only time the key is shown" in out and "90/min" in out
    store, keys = ApiKeyStore(redis, Keys(prefix)), Keys(prefix)
    assert await store.verify(parse_key(key)) is not None
    digest = text(await redis.hget(keys.api_key(key_id), "sha256") or b"")
    assert len(digest) == 64
    await redis.hset(keys.account_spend(key_id), mapping={"wei": 5000, "payments": 3})

    code, listed, _ = await cli(capsys, *base, "list")
    assert code == 0
    [row] = [line.split() for line in listed.splitlines() if line.startswith(key_id)]
    assert row[1] == "alice" and row[3:] == ["-", "90/min", "5000", "3"]

    code, shown, _ = await cli(capsys, *base, "show", key_id)
    assert code == 0 and "spend wei: 5000" in shown and "revoked:   no" in shown

    code, revoked, _ = await cli(capsys, *base, "revoke", key_id)
    assert code == 0 and revoked == f"{key_id} revoked\n"
    assert (await store.get(key_id)).revoked is not None  # type: ignore[union-attr]
    code, again, _ = await cli(capsys, *base, "revoke", key_id)
    assert again == f"{key_id} was already revoked\n"
    _, listed_after, _ = await cli(capsys, *base, "list")

    for printed in (listed, shown, revoked, listed_after):
        assert key not in printed and key.split("_", 2)[2] not in printed
        assert digest not in printed
    assert digest not in out
    assert await store.spend(key_id) == Spend(5000, 3)


async def test_settings_come_from_the_environment(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    prefix: str,
    redis: aioredis.Redis,
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("BUS_PREFIX", prefix)
    code, out, _ = await cli(capsys, "create", "--name", "from env")
    assert code == 0 and "rate:    default" in out
    assert len(await ApiKeyStore(redis, Keys(prefix)).list()) == 1


async def test_unknown_keys_and_bad_names_fail(
    capsys: pytest.CaptureFixture[str], redis_url: str, prefix: str
) -> None:
    base = ("--redis-url", redis_url, "--prefix", prefix)
    assert await cli(capsys, *base, "show", "ffffffffffff") == (
        1,
        "",
        "no API key ffffffffffff\n",
    )
    code, _, err = await cli(capsys, *base, "revoke", "ffffffffffff")
    assert code == 1 and "no API key" in err
    code, out, err = await cli(capsys, *base, "create", "--name", " ")
    assert code == 1 and out == "" and "name" in err


async def test_an_unreachable_redis_is_named_without_its_password(
    capsys: pytest.CaptureFixture[str], prefix: str
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    code, out, err = await cli(capsys, "--redis-url", url, "--prefix", prefix, "list")
    assert code == 2 and out == ""
    assert "cannot reach Redis at 127.0.0.1" in err and "hunter2" not in err
