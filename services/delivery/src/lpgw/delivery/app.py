"""The delivery ASGI app: the stream route, error envelopes, and a lifespan that opens the
media store on the bus's JetStream.

`create_app(settings)` connects to NATS and opens the store when it starts; `main` passes
ones it already opened, so the process waits for NATS before serving. Plain Starlette: delivery
answers every media request of every result, and has nothing to describe in OpenAPI.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from lpgw.blobs import BlobStore
from lpgw.bus import Bus, Names
from lpgw.delivery.routes import stream
from lpgw.delivery.settings import DeliverySettings
from lpgw.service.error_handlers import install_error_handlers
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes
from starlette.applications import Starlette


def create_app(
    settings: DeliverySettings, bus: Bus | None = None, store: BlobStore | None = None
) -> Starlette:
    names = Names(settings.bus_prefix)
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        connected = bus or await Bus.connect(settings.nats_url, names, client_name="delivery")
        try:
            app.state.bus = connected
            app.state.store = store or await open_store(connected, settings)
            yield
        finally:
            if bus is None:
                await connected.close()

    app = Starlette(routes=[*stream.routes, *health_routes(readiness)], lifespan=lifespan)
    app.state.settings = settings

    async def nats_connected() -> bool:
        return isinstance(app.state.bus, Bus) and app.state.bus.is_connected

    readiness.add("nats", nats_connected)
    install_error_handlers(app)
    return app


async def open_store(bus: Bus, settings: DeliverySettings) -> BlobStore:
    return await BlobStore.open(bus.nc, bus.names, ttl_s=settings.delivery_media_ttl_s)
