"""`lpgw-intake`: wait for NATS, declare the streams, serve the API until SIGTERM.

On SIGTERM the HTTP server stops accepting connections and gives in-flight requests a bounded
time to finish (see `serve_http`) before the bus connection is drained.
"""

import asyncio

from lpgw.bus import Names, connect_until_stopped
from lpgw.intake.app import create_app
from lpgw.intake.settings import IntakeSettings
from lpgw.service.logs import configure_logging
from lpgw.service.observability import observed
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings

SERVICE = "intake"


def main() -> None:
    configure_logging(SERVICE)
    run_service(serve)


async def serve(stop: asyncio.Event) -> None:
    settings = load_settings(IntakeSettings)
    with observed(SERVICE, settings):
        bus = await connect_until_stopped(
            settings.nats_url, Names(settings.bus_prefix), client_name=SERVICE, stop=stop
        )
        if bus is None:
            return
        try:
            app = create_app(settings, bus)
            await serve_http(app, settings.http_host, settings.http_port, stop)
        finally:
            await bus.close()
