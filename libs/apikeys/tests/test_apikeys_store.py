"""ApiKeyStore against a real Valkey: keys made, admitted, refused, revoked, rate-limited across
replicas, and their spend read as the payment-signer writes it."""

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from lpgw.apikeys import (
    Admitted,
    ApiKeyStore,
    InvalidApiKeyRecord,
    RateLimit,
    Refused,
    Spend,
    Throttled,
    UnknownApiKey,
    parse_key,
)
from lpgw.apikeys.records import text
from lpgw.apikeys.tokens import format_key, new_secret
from lpgw.state import Keys, connect


@pytest.fixture
def keys(prefix: str) -> Keys:
    return Keys(prefix)


@pytest.fixture
def store(redis: aioredis.Redis, keys: Keys) -> ApiKeyStore:
    return ApiKeyStore(redis, keys, RateLimit(per_minute=0))


@pytest.fixture
async def replica(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A second client, as another intake replica has."""
    client = await connect(redis_url)
    yield client
    await client.aclose()


async def test_a_key_is_stored_as_its_hash_and_admitted(
    store: ApiKeyStore, redis: aioredis.Redis, keys: Keys
) -> None:
    record, key = await store.create("alice", rate_per_minute=None)
    plaintext = key.get_secret_value()
    assert plaintext.startswith(f"lpgw_{record.key_id}_")
    assert plaintext not in repr(key) and plaintext not in str(key)
    stored = {
        text(k): text(v) for k, v in (await redis.hgetall(keys.api_key(record.key_id))).items()
    }
    secret = plaintext.split("_", 2)[2]
    assert secret not in "".join([*stored.keys(), *stored.values()])
    assert stored["sha256"] == parse_key(plaintext).digest
    assert await store.admit(parse_key(plaintext)) == Admitted(record.key_id, "alice")
    assert await store.get(record.key_id) == record
    assert await store.verify(parse_key(plaintext)) == record


async def test_a_wrong_secret_or_unknown_id_is_refused(store: ApiKeyStore) -> None:
    record, _ = await store.create("alice")
    wrong = parse_key(format_key(record.key_id, new_secret()))
    assert await store.admit(wrong) == Refused(record.key_id, "mismatch")
    assert await store.verify(wrong) is None
    unknown = parse_key(format_key("ffffffffffff", new_secret()))
    assert await store.admit(unknown) == Refused("ffffffffffff", "unknown")
    assert await store.get("ffffffffffff") is None


async def test_a_revoked_key_is_refused_and_still_listed(store: ApiKeyStore) -> None:
    kept, _ = await store.create("kept", rate_per_minute=30)
    gone, key = await store.create("gone")
    assert await store.revoke(gone.key_id) is True
    assert await store.revoke(gone.key_id) is False
    assert await store.admit(parse_key(key.get_secret_value())) == Refused(gone.key_id, "revoked")
    assert await store.verify(parse_key(key.get_secret_value())) is None
    listed = await store.list()
    assert [r.key_id for r in listed] == [kept.key_id, gone.key_id]
    assert listed[0].active and listed[0].rate_per_minute == 30
    assert not listed[1].active and listed[1].revoked is not None
    with pytest.raises(UnknownApiKey):
        await store.revoke("ffffffffffff")


@pytest.mark.parametrize(
    ("name", "rate"),
    [
        pytest.param("", None, id="empty name"),
        pytest.param("   ", None, id="blank name"),
        pytest.param("a\nb", None, id="control character"),
        pytest.param("x" * 101, None, id="name too long"),
        pytest.param("alice", -1, id="negative rate"),
    ],
)
async def test_bad_records_are_refused(store: ApiKeyStore, name: str, rate: int | None) -> None:
    with pytest.raises(InvalidApiKeyRecord):
        await store.create(name, rate)


async def test_the_rate_limit_is_shared_by_replicas(
    redis: aioredis.Redis, replica: aioredis.Redis, keys: Keys
) -> None:
    limit = RateLimit(per_minute=60, burst=3)
    one, two = ApiKeyStore(redis, keys, limit), ApiKeyStore(replica, keys, limit)
    record, key = await one.create("shared")
    presented = parse_key(key.get_secret_value())
    decisions = [await (one if i % 2 else two).admit(presented) for i in range(4)]
    assert decisions[:3] == [Admitted(record.key_id, "shared")] * 3
    throttled = decisions[3]
    assert isinstance(throttled, Throttled)
    assert 0.9 < throttled.retry_after_s <= 1.0


async def test_a_throttled_key_is_admitted_again_after_the_wait(
    store: ApiKeyStore, redis: aioredis.Redis, keys: Keys
) -> None:
    record, key = await store.create("fast", rate_per_minute=600)
    presented = parse_key(key.get_secret_value())
    limited = ApiKeyStore(redis, keys, RateLimit(per_minute=1, burst=2))
    assert isinstance(await limited.admit(presented), Admitted)
    assert isinstance(await limited.admit(presented), Admitted)
    throttled = await limited.admit(presented)
    assert isinstance(throttled, Throttled) and throttled.retry_after_s <= 0.1
    await asyncio.sleep(throttled.retry_after_s + 0.01)
    assert isinstance(await limited.admit(presented), Admitted)
    assert 0 < await redis.pttl(keys.api_key_rate(record.key_id)) <= 2000


async def test_unlimited_keys_and_wrong_secrets_charge_no_bucket(
    redis: aioredis.Redis, keys: Keys
) -> None:
    store = ApiKeyStore(redis, keys, RateLimit(per_minute=60, burst=1))
    free, free_key = await store.create("free", rate_per_minute=0)
    for _ in range(20):
        assert isinstance(await store.admit(parse_key(free_key.get_secret_value())), Admitted)
    assert not await redis.exists(keys.api_key_rate(free.key_id))
    limited, key = await store.create("limited")
    for _ in range(5):
        await store.admit(parse_key(format_key(limited.key_id, new_secret())))
    assert isinstance(await store.admit(parse_key(key.get_secret_value())), Admitted)


async def test_spend_is_read_as_the_signer_writes_it(
    store: ApiKeyStore, redis: aioredis.Redis, keys: Keys
) -> None:
    record, _ = await store.create("spender")
    assert await store.spend(record.key_id) == Spend(0, 0)
    await redis.hincrby(keys.account_spend(record.key_id), "wei", 1234)
    await redis.hincrby(keys.account_spend(record.key_id), "payments", 2)
    assert await store.spend(record.key_id) == Spend(wei=1234, payments=2)
