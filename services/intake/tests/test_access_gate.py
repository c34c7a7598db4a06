"""The gate in each mode: API keys against a real Valkey, the auth webhook against a stand-in
server, and the open mode; and the settings that choose between them."""

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from lpgw.apikeys import ApiKeyStore, RateLimit
from lpgw.apikeys.tokens import format_key, new_secret
from lpgw.intake.access import (
    AccessUnavailable,
    Caller,
    Gate,
    InvalidCredentials,
    MissingCredentials,
    RateLimited,
    Unauthorized,
)
from lpgw.intake.settings import IntakeSettings
from lpgw.stack.ports import free_port
from lpgw.state import Keys
from pydantic import ValidationError

URL = "http://127.0.0.1:8935/text-to-image"
ServeApp = Any  # the root conftest's serve_app fixture: app -> base URL


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def settings(**values: Any) -> IntakeSettings:
    return IntakeSettings(**values)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# API keys ---------------------------------------------------------------------------------------
async def test_a_valid_key_is_admitted_as_its_account(
    redis: aioredis.Redis, prefix: str, http: httpx.AsyncClient
) -> None:
    gate = Gate.from_settings(settings(bus_prefix=prefix), redis, http)
    record, key = await ApiKeyStore(redis, Keys(prefix)).create("alice")
    caller = await gate.admit(bearer(key.get_secret_value()), URL)
    assert caller == Caller(record.key_id, "keys", "alice")


@pytest.mark.parametrize(
    ("headers", "error", "message"),
    [
        pytest.param({}, MissingCredentials, "missing API key", id="no header"),
        pytest.param(
            {"Authorization": "Basic dXNlcjpwYXNz"},
            MissingCredentials,
            "unsupported authorization scheme",
            id="wrong scheme",
        ),
        pytest.param(bearer("not-a-key"), InvalidCredentials, "invalid API key", id="malformed"),
        pytest.param(
            bearer(format_key("ffffffffffff", new_secret())),
            InvalidCredentials,
            "invalid API key",
            id="unknown key",
        ),
    ],
)
async def test_requests_without_a_usable_key_are_unauthorized(
    redis: aioredis.Redis,
    prefix: str,
    http: httpx.AsyncClient,
    headers: dict[str, str],
    error: type[Unauthorized],
    message: str,
) -> None:
    gate = Gate.from_settings(settings(bus_prefix=prefix), redis, http)
    with pytest.raises(error, match=message):
        await gate.admit(headers, URL)


async def test_wrong_secrets_and_revoked_keys_are_refused_and_never_logged(
    redis: aioredis.Redis,
    prefix: str,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = ApiKeyStore(redis, Keys(prefix))
    gate = Gate.from_settings(settings(bus_prefix=prefix), redis, http)
    record, key = await store.create("alice")
    wrong = format_key(record.key_id, new_secret())
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidCredentials, match=r"^invalid API key$"):
        await gate.admit(bearer(wrong), URL)
    await store.revoke(record.key_id)
    with pytest.raises(InvalidCredentials, match=r"^invalid API key$"):
        await gate.admit(bearer(key.get_secret_value()), URL)
    logged = " ".join(str(vars(r)) for r in caplog.records)
    assert record.key_id in logged and "revoked" in logged and "mismatch" in logged
    for secret in (key.get_secret_value(), wrong):
        assert secret.split("_", 2)[2] not in logged


async def test_the_rate_limit_is_per_key_and_shared_by_gates(
    redis: aioredis.Redis, redis_url: str, prefix: str, http: httpx.AsyncClient
) -> None:
    configured = settings(
        bus_prefix=prefix, intake_api_key_rate_per_minute=60, intake_api_key_burst=2
    )
    other_redis = aioredis.Redis.from_url(redis_url)
    try:
        one = Gate.from_settings(configured, redis, http)
        two = Gate.from_settings(configured, other_redis, http)
        store = ApiKeyStore(redis, Keys(prefix))
        _, busy = await store.create("busy")
        _, idle = await store.create("idle")
        await one.admit(bearer(busy.get_secret_value()), URL)
        await two.admit(bearer(busy.get_secret_value()), URL)
        with pytest.raises(RateLimited) as caught:
            await one.admit(bearer(busy.get_secret_value()), URL)
        assert 0.9 < caught.value.retry_after_s <= 1.0
        assert (await two.admit(bearer(idle.get_secret_value()), URL)).name == "idle"
    finally:
        await other_redis.aclose()


async def test_keys_made_with_their_own_rate_use_it(
    redis: aioredis.Redis, prefix: str, http: httpx.AsyncClient
) -> None:
    configured = settings(bus_prefix=prefix, intake_api_key_burst=1)
    gate = Gate.from_settings(configured, redis, http)
    _, key = await ApiKeyStore(redis, Keys(prefix), RateLimit()).create("tiny", 1)
    await gate.admit(bearer(key.get_secret_value()), URL)
    with pytest.raises(RateLimited) as caught:
        await gate.admit(bearer(key.get_secret_value()), URL)
    assert caught.value.retry_after_s > 59


async def test_an_unreachable_redis_makes_access_unavailable(
    prefix: str, http: httpx.AsyncClient
) -> None:
    dead = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        gate = Gate.from_settings(settings(bus_prefix=prefix), dead, http)
        with pytest.raises(AccessUnavailable, match="retry later"):
            await gate.admit(bearer(format_key("0123456789ab", new_secret())), URL)
    finally:
        await dead.aclose()


# Auth webhook -----------------------------------------------------------------------------------
class Webhook:
    """A stand-in auth webhook: answers `status` with `body`, and records what it was asked."""

    def __init__(self, status: int = 200, body: str = "") -> None:
        self.status = status
        self.body = body
        self.asked: list[tuple[Any, str | None]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/auth", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        self.asked.append((await request.json(), request.headers.get("Authorization")))
        return web.Response(status=self.status, text=self.body)


async def webhook_gate(
    serve_app: ServeApp, hook: Webhook, http: httpx.AsyncClient, cache_s: float = 0
) -> Gate:
    base = await serve_app(hook.app())
    configured = settings(
        intake_ai_auth="webhook",
        intake_ai_auth_webhook_url=f"{base}/auth",
        intake_ai_auth_cache_s=cache_s,
    )
    return Gate.from_settings(configured, aioredis.Redis(), http)


@pytest.mark.parametrize(
    ("body", "account"),
    [
        pytest.param("", "anonymous", id="empty body: anonymous"),
        pytest.param('{"account": "team-7"}', "team-7", id="named account"),
        pytest.param('{"manifestID": "x"}', "anonymous", id="no account"),
    ],
)
async def test_the_webhook_admits_with_a_2xx(
    serve_app: ServeApp, http: httpx.AsyncClient, body: str, account: str
) -> None:
    hook = Webhook(200, body)
    gate = await webhook_gate(serve_app, hook, http)
    assert await gate.admit({"Authorization": "Bearer app-token"}, URL) == Caller(
        account, "webhook"
    )
    assert hook.asked == [({"url": URL}, "Bearer app-token")]


async def test_the_webhook_sees_requests_without_credentials_too(
    serve_app: ServeApp, http: httpx.AsyncClient
) -> None:
    hook = Webhook(204)
    gate = await webhook_gate(serve_app, hook, http)
    assert (await gate.admit({}, URL)).account == "anonymous"
    assert hook.asked == [({"url": URL}, None)]


async def test_a_webhook_refusal_is_unauthorized_and_never_cached(
    serve_app: ServeApp, http: httpx.AsyncClient
) -> None:
    hook = Webhook(403)
    gate = await webhook_gate(serve_app, hook, http, cache_s=60)
    for _ in range(2):
        with pytest.raises(Unauthorized, match="refused by the auth webhook"):
            await gate.admit(bearer("t"), URL)
    assert len(hook.asked) == 2


async def test_webhook_admissions_are_cached_per_credentials_and_url(
    serve_app: ServeApp, http: httpx.AsyncClient
) -> None:
    hook = Webhook(200, '{"account": "a1"}')
    gate = await webhook_gate(serve_app, hook, http, cache_s=60)
    for _ in range(3):
        await gate.admit(bearer("t"), URL)
    assert len(hook.asked) == 1
    await gate.admit(bearer("other"), URL)
    await gate.admit(bearer("t"), "http://127.0.0.1:8935/llm")
    assert len(hook.asked) == 3
    hook.status = 401  # a cached yes stands until it expires
    assert (await gate.admit(bearer("t"), URL)).account == "a1"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("OK", id="not JSON"),
        pytest.param("[1]", id="not an object"),
        pytest.param('{"account": "has space"}', id="bad account"),
        pytest.param('{"account": 7}', id="account not a string"),
    ],
)
async def test_an_unusable_webhook_answer_makes_access_unavailable(
    serve_app: ServeApp, http: httpx.AsyncClient, body: str
) -> None:
    gate = await webhook_gate(serve_app, Webhook(200, body), http)
    with pytest.raises(AccessUnavailable):
        await gate.admit(bearer("t"), URL)


async def test_an_unreachable_webhook_makes_access_unavailable(http: httpx.AsyncClient) -> None:
    configured = settings(
        intake_ai_auth="webhook",
        intake_ai_auth_webhook_url=f"http://127.0.0.1:{free_port()}/auth",
    )
    gate = Gate.from_settings(configured, aioredis.Redis(), http)
    with pytest.raises(AccessUnavailable, match="auth webhook unavailable"):
        await gate.admit(bearer("t"), URL)


# Open mode and settings -------------------------------------------------------------------------
async def test_the_open_mode_admits_everyone_and_warns(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    gate = Gate.from_settings(settings(intake_ai_auth="none"), aioredis.Redis(), http)
    assert [r.getMessage() for r in caplog.records] == ["ai_auth_disabled"]
    assert await gate.admit({}, URL) == Caller("anonymous", "none")


def test_access_defaults() -> None:
    configured = settings()
    assert configured.intake_ai_auth == "keys"
    assert configured.intake_api_key_rate_per_minute == 600
    assert configured.intake_api_key_burst >= 1


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        pytest.param({"intake_ai_auth": "webhook"}, "needs INTAKE_AI_AUTH_WEBHOOK_URL", id="url"),
        pytest.param({"intake_ai_auth": "open"}, "intake_ai_auth", id="unknown mode"),
        pytest.param(
            {
                "intake_ai_auth": "none",
                "lpgw_env": "prod",
                "intake_media_base_url": "https://media.example.com",
            },
            "refused in prod",
            id="open in prod",
        ),
        pytest.param({"intake_api_key_burst": 0}, "intake_api_key_burst", id="no burst"),
        pytest.param(
            {"intake_ai_auth_webhook_url": "ftp://x"}, "intake_ai_auth_webhook_url", id="scheme"
        ),
    ],
)
def test_inconsistent_access_settings_are_refused(values: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        settings(**values)
