"""Wiring the production adapters (Redis stores, NATS audit and directory, the chain view,
the webhook client) into the app. Tests assemble replicas with it too."""

import time
from collections.abc import Callable

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI
from lpgw.bus import Bus
from lpgw.pm.chain import ChainView, DevnetChain
from lpgw.service.health import Readiness
from lpgw.signer.app import create_app
from lpgw.signer.audit import BusAudit
from lpgw.signer.auth import BearerAuth
from lpgw.signer.budget_store import RedisBudgetStore
from lpgw.signer.credit_store import RedisCreditStore
from lpgw.signer.discovery import BusDirectory
from lpgw.signer.idempotency import RedisIdempotencyStore
from lpgw.signer.live_payment import LivePaymentService
from lpgw.signer.nonce_store import RedisNonceAllocator
from lpgw.signer.payments import PaymentService, Stores
from lpgw.signer.settings import SignerSettings
from lpgw.signer.signing import SigningService
from lpgw.signer.webhook import HttpAuthWebhook
from lpgw.state import Keys, ping

Clock = Callable[[], float]


def chain_view(settings: SignerSettings, clock: Clock = time.time) -> ChainView:
    """SIGNER_CHAIN=devnet is the only chain so far (see lpgw.pm.chain)."""
    return DevnetChain(
        clock,
        deposit=settings.signer_devnet_deposit_wei,
        reserve=settings.signer_devnet_reserve_wei,
    )


def build_app(
    settings: SignerSettings,
    signing: SigningService,
    auth: BearerAuth,
    *,
    redis: aioredis.Redis,
    bus: Bus,
    http: httpx.AsyncClient,
    clock: Clock = time.time,
) -> FastAPI:
    keys = Keys(settings.bus_prefix)
    audit = BusAudit(bus)
    stores = Stores(
        credit=RedisCreditStore(redis, keys),
        budgets=RedisBudgetStore(redis),
        nonces=RedisNonceAllocator(redis, keys),
        audit=audit,
        idempotency=RedisIdempotencyStore(redis, keys),
    )
    chain = chain_view(settings, clock)
    policy = settings.payment_policy()
    webhook = None
    if settings.signer_webhook_url:
        webhook = HttpAuthWebhook(settings.signer_webhook_url, settings.webhook_headers, http)
    readiness = Readiness()

    async def nats_ready() -> bool:
        return bus.is_connected

    async def redis_ready() -> bool:
        return await ping(redis)

    readiness.add("nats", nats_ready)
    readiness.add("redis", redis_ready)
    return create_app(
        signing,
        auth,
        readiness,
        audit,
        payments_service=PaymentService(signing, chain, stores, policy, keys, clock),
        live_service=LivePaymentService(signing, chain, stores, policy, keys, webhook, clock),
        directory=BusDirectory(bus),
    )
