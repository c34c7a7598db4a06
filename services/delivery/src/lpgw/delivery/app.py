"""The delivery ASGI app: AI result files, live video (HLS, DASH, recordings), error
envelopes, CORS for players, and a lifespan that opens the media stores on the bus's JetStream
and connects to Redis (the video records).

`create_app(settings)` connects to NATS and Redis and opens the stores when it starts; `main`
passes a bus and stores it already opened, so the process waits for NATS before serving. Plain
Starlette: delivery answers every media request of every result, and has nothing to describe
in OpenAPI.

Route order matters: the video routes come before `/stream/{request_id}/{file}` (AI results),
which would otherwise take `/stream/{stream}/{rendition}.m3u8`.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from lpgw.blobs import BlobStore
from lpgw.bus import Bus, Names
from lpgw.delivery.cors import PlayerCors
from lpgw.delivery.routes import dash, hls, stream
from lpgw.delivery.routes.playback import Playback
from lpgw.delivery.settings import DeliverySettings
from lpgw.delivery.video.catalog import Catalog
from lpgw.delivery.video.fragments import Fragments
from lpgw.service.error_handlers import install_error_handlers
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes
from lpgw.state import Keys, connect, ping
from lpgw.video.streams import VideoStreams
from starlette.applications import Starlette
from starlette.middleware import Middleware

MIB = 1024 * 1024


def create_app(
    settings: DeliverySettings,
    bus: Bus | None = None,
    store: BlobStore | None = None,
    video_store: BlobStore | None = None,
) -> Starlette:
    names = Names(settings.bus_prefix)
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        connected = bus or await Bus.connect(settings.nats_url, names, client_name="delivery")
        redis = await connect(settings.redis_url)
        try:
            app.state.bus = connected
            app.state.redis = redis
            app.state.store = store or await open_store(connected, settings)
            app.state.playback = Playback(
                catalog=Catalog(
                    VideoStreams(redis, Keys(settings.bus_prefix), settings.video_retention_s)
                ),
                store=video_store or await open_video_store(connected, settings),
                fragments=Fragments(settings.delivery_fragment_cache_mb * MIB),
                retention_s=settings.video_retention_s,
            )
            yield
        finally:
            await redis.aclose()
            if bus is None:
                await connected.close()

    app = Starlette(
        routes=[*hls.routes, *dash.routes, *stream.routes, *health_routes(readiness)],
        middleware=[Middleware(PlayerCors)],
        lifespan=lifespan,
    )
    app.state.settings = settings

    async def nats_connected() -> bool:
        return isinstance(app.state.bus, Bus) and app.state.bus.is_connected

    async def redis_answers() -> bool:
        return await ping(app.state.redis)

    readiness.add("nats", nats_connected)
    readiness.add("redis", redis_answers)
    install_error_handlers(app)
    return app


async def open_store(bus: Bus, settings: DeliverySettings) -> BlobStore:
    return await BlobStore.open(bus.nc, bus.names, ttl_s=settings.delivery_media_ttl_s)


async def open_video_store(bus: Bus, settings: DeliverySettings) -> BlobStore:
    """Live video's segments and renditions; created with the retention as TTL if missing."""
    return await BlobStore.open(
        bus.nc, bus.names, ttl_s=settings.video_retention_s, space=bus.names.video_media
    )
