"""The intake ASGI app: routes, error envelopes, and a lifespan that owns the bus connection
and the live video side (Redis, the video blob store, the RTMP server).

`create_app(settings)` connects to NATS when it starts; `main` passes a bus it already
connected (and declared streams on) so the process waits for NATS before serving.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from lpgw.bus import Bus, JobResult, Names, ResultInbox
from lpgw.intake.deps import Intake
from lpgw.intake.routes import live, streams, text_to_image
from lpgw.intake.settings import IntakeSettings
from lpgw.intake.video.assembly import VideoIntake
from lpgw.service.error_handlers import install_error_handlers
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes


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
        app.state.intake = Intake(settings, connected, inbox, connected.names)
        try:
            app.state.video = await VideoIntake.start(settings, connected)
            try:
                yield
            finally:
                await app.state.video.close()
        finally:
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
    app.include_router(text_to_image.router)
    app.include_router(streams.router)
    if settings.intake_http_push:
        app.include_router(live.router)
    app.router.routes.extend(health_routes(readiness))
    install_error_handlers(app)
    return app
