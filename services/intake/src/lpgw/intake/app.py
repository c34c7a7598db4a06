"""The intake ASGI app: routes, error envelopes, and a lifespan that owns the bus connection.

`create_app(settings)` connects to NATS when it starts; `main` passes a bus it already
connected (and declared streams on) so the process waits for NATS before serving.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from lpgw.bus import Bus, Names
from lpgw.intake.replies import error_body
from lpgw.intake.routes import text_to_image
from lpgw.intake.settings import IntakeSettings
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes
from starlette.exceptions import HTTPException


def create_app(settings: IntakeSettings, bus: Bus | None = None) -> FastAPI:
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        connected = bus or await Bus.connect(
            settings.nats_url, Names(settings.bus_prefix), client_name="intake"
        )
        app.state.bus = connected
        try:
            yield
        finally:
            if bus is None:
                await connected.close()

    app = FastAPI(title="lpgw intake", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings

    async def nats_connected() -> bool:
        return isinstance(app.state.bus, Bus) and app.state.bus.is_connected

    readiness.add("nats", nats_connected)
    app.include_router(text_to_image.router)
    app.router.routes.extend(health_routes(readiness))
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _http_error)
    return app


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Unknown routes, wrong methods and bugs answer with the same envelope as everything else."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal Server Error"
    return JSONResponse(error_body(str(detail)), status_code=status)
