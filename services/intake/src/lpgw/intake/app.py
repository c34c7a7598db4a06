"""The intake ASGI app: routes, error envelopes, and a lifespan that owns the bus connection
and the live video side (Redis, the video blob store, the RTMP server).

`create_app(settings)` connects to NATS when it starts; `main` passes a bus it already
connected (and declared streams on) so the process waits for NATS before serving.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from lpgw.blobs import BlobStore
from lpgw.bus import Bus, JobResult, Names, ResultInbox
from lpgw.bus.chunks import ChunkInbox
from lpgw.intake.access import Gate
from lpgw.intake.ai import routes as ai_routes
from lpgw.intake.deps import Intake
from lpgw.intake.openapi import install_openapi
from lpgw.intake.routes import byoc, live, streams
from lpgw.intake.settings import IntakeSettings
from lpgw.intake.video.assembly import VideoIntake
from lpgw.service.error_handlers import install_error_handlers
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes
from lpgw.state import Keys, connect


def create_app(settings: IntakeSettings, bus: Bus | None = None) -> FastAPI:
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        connected = bus or await Bus.connect(
            settings.nats_url, Names(settings.bus_prefix), client_name="intake"
        )
        app.state.bus = connected
        inbox = ResultInbox(connected, JobResult)
        await inbox.start()
        chunks = ChunkInbox(connected, inbox.id)
        await chunks.start()
        redis = await connect(settings.redis_url)
        http = httpx.AsyncClient()
        try:
            app.state.intake = Intake(
                settings=settings,
                bus=connected,
                inbox=inbox,
                chunks=chunks,
                names=connected.names,
                media=await BlobStore.open(
                    connected.nc, connected.names, ttl_s=settings.intake_media_ttl_s
                ),
                redis=redis,
                keys=Keys(settings.bus_prefix),
                gate=Gate.from_settings(settings, redis, http),
            )
            app.state.video = await VideoIntake.start(settings, connected)
            try:
                yield
            finally:
                await app.state.video.close()
        finally:
            await http.aclose()
            await redis.aclose()
            await chunks.close()
            await inbox.close()
            if bus is None:
                await connected.close()

    app = FastAPI(title="lpgw intake", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.video = None

    async def nats_connected() -> bool:
        return isinstance(app.state.bus, Bus) and app.state.bus.is_connected

    async def redis_answers() -> bool:
        video: VideoIntake | None = app.state.video
        return video is not None and await video.redis_ready()

    def rtmp_listening() -> bool:
        video: VideoIntake | None = app.state.video
        return video is not None and video.rtmp_ready()

    readiness.add("nats", nats_connected)
    readiness.add("redis", redis_answers)
    if settings.intake_rtmp_enabled:
        readiness.add("rtmp", rtmp_listening)
    app.include_router(ai_routes.router())
    app.include_router(byoc.router)
    app.include_router(streams.router)
    if settings.intake_http_push:
        app.include_router(live.router)
    app.router.routes.extend(health_routes(readiness))
    install_error_handlers(app)
    install_openapi(app)
    return app
