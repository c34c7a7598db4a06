"""`lpgw-intake`: wait for NATS, declare the streams, serve the API until SIGTERM.

On SIGTERM the HTTP server stops accepting connections and gives in-flight requests a bounded
time to finish (see `serve_http`) before the bus connection is drained.
"""

import asyncio

from lpgw.bus import Names, connect_until_stopped
from lpgw.intake.app import create_app
from lpgw.intake.settings import IntakeSettings
from lpgw.service.logs import configure_logging, get_logger
from lpgw.service.observability import setup_tracing
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings

SERVICE = "intake"
log = get_logger(__name__)


def main() -> None:
    configure_logging(SERVICE)
    run_service(serve)


async def serve(stop: asyncio.Event) -> None:
    settings = load_settings(IntakeSettings)
    configure_logging(SERVICE, settings.log_level)
    tracing = setup_tracing(SERVICE, settings.otel_exporter_otlp_endpoint)
    bus = await connect_until_stopped(
        settings.nats_url, Names(settings.bus_prefix), client_name=SERVICE, stop=stop
    )
    try:
        if bus is not None:
            app = create_app(settings, bus)
            await serve_http(app, settings.http_host, settings.http_port, stop)
    finally:
        if bus is not None:
            await bus.close()
        if tracing is not None:
            tracing.shutdown()
