"""`lpgw-intake`: wait for NATS, declare the streams, serve the API until SIGTERM.

On SIGTERM the HTTP server stops accepting connections and gives in-flight requests a bounded
time to finish (see `serve_http`) before the bus connection is drained.
"""

import asyncio
import contextlib

from lpgw.bus import Bus, BusError, Names
from lpgw.intake.app import create_app
from lpgw.intake.settings import IntakeSettings
from lpgw.service.logs import configure_logging, get_logger
from lpgw.service.observability import setup_tracing
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings

SERVICE = "intake"
CONNECT_ATTEMPT_S = 2.0
RETRY_PAUSE_S = 1.0
log = get_logger(__name__)


def main() -> None:
    configure_logging(SERVICE)
    run_service(serve)


async def serve(stop: asyncio.Event) -> None:
    settings = load_settings(IntakeSettings)
    configure_logging(SERVICE, settings.log_level)
    tracing = setup_tracing(SERVICE, settings.otel_exporter_otlp_endpoint)
    bus = await connect_bus(settings, stop)
    try:
        if bus is not None:
            app = create_app(settings, bus)
            await serve_http(app, settings.http_host, settings.http_port, stop)
    finally:
        if bus is not None:
            await bus.close()
        if tracing is not None:
            tracing.shutdown()


async def connect_bus(settings: IntakeSettings, stop: asyncio.Event) -> Bus | None:
    """A bus with the streams declared, retrying until NATS answers; None if stopped first."""
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
                await bus.declare()
            except BusError as exc:
                log.warning("streams_not_declared", extra={"error": str(exc)})
                await bus.close()
            else:
                return bus
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RETRY_PAUSE_S):
                await stop.wait()
    return None
