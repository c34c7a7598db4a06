"""`lpgw-delivery`: wait for NATS and the media buckets, serve files and streams until SIGTERM.

On SIGTERM the HTTP server stops accepting connections and gives in-flight responses a bounded
time to finish (see `serve_http`) before the bus connection is drained.
"""

import asyncio

from lpgw.bus import Names, connect_until_stopped
from lpgw.delivery.app import create_app, open_store, open_video_store
from lpgw.delivery.settings import DeliverySettings
from lpgw.service.logs import configure_logging
from lpgw.service.observability import observed
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings

SERVICE = "delivery"


def main() -> None:
    configure_logging(SERVICE)
    run_service(serve)


async def serve(stop: asyncio.Event) -> None:
    settings = load_settings(DeliverySettings)
    with observed(SERVICE, settings):
        bus = await connect_until_stopped(
            settings.nats_url, Names(settings.bus_prefix), client_name=SERVICE, stop=stop
        )
        if bus is None:
            return
        try:
            store = await open_store(bus, settings)
            video_store = await open_video_store(bus, settings)
            app = create_app(settings, bus, store, video_store)
            await serve_http(app, settings.http_host, settings.http_port, stop)
        finally:
            await bus.close()
