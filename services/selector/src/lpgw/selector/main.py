"""The selector process: probe orchestrators, answer `select`, learn from OUTCOMES.

Start order: settings → logs → NATS (retried until up) and Redis → streams declared → HTTP
health server → gateway identity from the signer → probe loop, `select` and
`orchestrator_list` responders and OUTCOMES consumer. SIGTERM stops the probe loop, the
responders and the consumer (in-flight messages finish or are redelivered), then the HTTP
server.
"""

import asyncio
import contextlib
import logging

from lpgw.bus import Names, connect_until_stopped
from lpgw.bus.events import OrchestratorListRequest, Outcomes, SelectionRequest
from lpgw.selector.listing import Listing
from lpgw.selector.probing import Prober
from lpgw.selector.selection import Selection
from lpgw.selector.settings import SelectorSettings
from lpgw.selector.store import OrchestratorStore
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes, observed
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings
from lpgw.signer_client import bearer_token, fetch_identity
from lpgw.signer_client.sessions import signer_http
from lpgw.state import Keys, connect, ping
from lpgw.wire.client import OrchestratorClient
from starlette.applications import Starlette

logger = logging.getLogger("lpgw.selector")

SERVICE = "selector"


async def run(stop: asyncio.Event, settings: SelectorSettings | None = None) -> None:
    settings = settings if settings is not None else load_settings(SelectorSettings)
    with observed(SERVICE, settings):
        await _work(stop, settings)


async def _work(stop: asyncio.Event, settings: SelectorSettings) -> None:
    token = bearer_token(settings.signer_token, settings.signer_token_file)
    names, keys = Names(settings.bus_prefix), Keys(settings.bus_prefix)
    bus = await connect_until_stopped(settings.nats_url, names, client_name=SERVICE, stop=stop)
    if bus is None:
        return
    redis = await connect(settings.redis_url)
    identity_ready = asyncio.Event()
    readiness = Readiness()
    readiness.add("nats", lambda: bus.is_connected)
    readiness.add("redis", lambda: ping(redis))
    readiness.add("signer", identity_ready.is_set)
    app = Starlette(routes=health_routes(readiness))
    http = asyncio.create_task(serve_http(app, settings.http_host, settings.http_port, stop))
    try:
        async with signer_http() as client:
            identity = await fetch_identity(client, settings.signer_url, token, stop)
        if identity is None:
            return
        identity_ready.set()
        store = OrchestratorStore(redis, keys)
        prober = Prober(
            OrchestratorClient(),
            store,
            settings.orchestrator_urls,
            identity,
            timeout_s=settings.selector_probe_timeout_s,
        )
        selection = Selection(store, stale_after_s=settings.stale_after_s)
        probing = asyncio.create_task(prober.run(settings.selector_probe_interval_s, stop))
        responder = await bus.serve(
            names.select, names.selector_queue, SelectionRequest, selection.select
        )
        listing = Listing(store, stale_after_s=settings.stale_after_s)
        lister = await bus.serve(
            names.orchestrator_list, names.selector_queue, OrchestratorListRequest, listing.answer
        )
        consumer = await bus.consume(
            stream=names.outcomes_stream,
            durable=names.selector_outcomes_consumer,
            filter_subject=names.outcomes,
            model=Outcomes,
            handler=selection.on_outcomes,
        )
        logger.info("selector_started", extra={"orchestrators": settings.orchestrator_urls})
        await stop.wait()
        await responder.unsubscribe()
        await lister.unsubscribe()
        await consumer.stop()
        probing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probing
    finally:
        stop.set()
        await http
        await bus.close()
        await redis.aclose()


def main() -> None:
    run_service(run)
