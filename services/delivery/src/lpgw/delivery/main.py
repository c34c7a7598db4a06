"""`lpgw-delivery`: wait for NATS and the media bucket, serve files until SIGTERM.

On SIGTERM the HTTP server stops accepting connections and gives in-flight responses a bounded
time to finish (see `serve_http`) before the bus connection is drained.
"""

import asyncio
import contextlib

from lpgw.blobs import BlobError, BlobStore
from lpgw.bus import Bus, BusError, Names
from lpgw.delivery.app import create_app, open_store
from lpgw.delivery.settings import DeliverySettings
from lpgw.service.logs import configure_logging, get_logger
from lpgw.service.observability import setup_tracing
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings

SERVICE = "delivery"
CONNECT_ATTEMPT_S = 2.0
RETRY_PAUSE_S = 1.0
log = get_logger(__name__)


def main() -> None:
    configure_logging(SERVICE)
    run_service(serve)


async def serve(stop: asyncio.Event) -> None:
    settings = load_settings(DeliverySettings)
    configure_logging(SERVICE, settings.log_level)
    tracing = setup_tracing(SERVICE, settings.otel_exporter_otlp_endpoint)
    opened = await connect_store(settings, stop)
    try:
        if opened is not None:
            bus, store = opened
            app = create_app(settings, bus, store)
            await serve_http(app, settings.http_host, settings.http_port, stop)
    finally:
        if opened is not None:
            await opened[0].close()
        if tracing is not None:
            tracing.shutdown()


async def connect_store(
    settings: DeliverySettings, stop: asyncio.Event
) -> tuple[Bus, BlobStore] | None:
    """The bus and the media store, retrying until NATS answers; None if stopped first."""
    while not stop.is_set():
        try:
            bus = await Bus.connect(
                settings.nats_url,
                Names(settings.bus_prefix),
                client_name=SERVICE,
                connect_timeout=CONNECT_ATTEMPT_S,
            )
        except BusError as exc:
            log.warning("nats_unavailable", extra={"error": str(exc)})
        else:
            try:
                return bus, await open_store(bus, settings)
            except BlobError as exc:
                log.warning("media_store_unavailable", extra={"error": str(exc)})
                await bus.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RETRY_PAUSE_S):
                await stop.wait()
    return None
