"""Wiring the production adapters (Redis stores, NATS audit and directory, the chain view,
the webhook client) into the app. Tests assemble replicas with it too."""

import time
from collections.abc import Callable

import httpx
import redis.asyncio as aioredis
from lpgw.bus import Bus
from lpgw.pm.chain import ChainView, DevnetChain
from lpgw.service.health import Readiness
from lpgw.signer.api.app import create_app
from lpgw.signer.api.auth import BearerAuth
from lpgw.signer.discovery import BusDirectory
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.live.service import LivePaymentService
from lpgw.signer.live.webhook import HttpAuthWebhook
from lpgw.signer.payments.audit import BusAudit
from lpgw.signer.payments.issuance import TicketIssuer
from lpgw.signer.payments.service import PaymentService
from lpgw.signer.settings import SignerSettings
from lpgw.signer.stores.accounts import AccountSpend
from lpgw.signer.stores.budgets import RedisBudgetStore
from lpgw.signer.stores.credit import CreditLedger
from lpgw.signer.stores.nonces import RedisNonceStore
from lpgw.signer.stores.payments import RedisPaymentRecords
from lpgw.signer.stores.sessions import RedisSessionStore
from lpgw.state import Keys, ping
from starlette.applications import Starlette

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
) -> Starlette:
    keys = Keys(settings.bus_prefix)
    audit = BusAudit(bus)
    chain = chain_view(settings, clock)
    policy = settings.payment_policy()
    issuer = TicketIssuer(
        signing,
        budgets=RedisBudgetStore(redis),
        nonces=RedisNonceStore(redis, keys),
        audit=audit,
        policy=policy,
        keys=keys,
        clock=clock,
    )
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
        payments_service=PaymentService(
            signing,
            chain,
            policy,
            keys,
            sessions=RedisSessionStore(redis, keys),
            credit=CreditLedger(redis, keys),
            spend=AccountSpend(redis),
            records=RedisPaymentRecords(redis, keys),
            issuer=issuer,
            audit=audit,
            clock=clock,
        ),
        live_service=LivePaymentService(signing, chain, issuer, policy, webhook, clock),
        directory=BusDirectory(bus),
    )
