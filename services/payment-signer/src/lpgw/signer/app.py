"""Assembles the signer's FastAPI app: routers behind bearer auth, health, error envelope."""

from fastapi import FastAPI
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes
from lpgw.signer.auth import BearerAuth
from lpgw.signer.deps import Authenticated
from lpgw.signer.envelope import install_error_handlers
from lpgw.signer.routes import orchestrator_info
from lpgw.signer.signing import SigningService


def create_app(signing: SigningService, auth: BearerAuth, readiness: Readiness) -> FastAPI:
    # No /docs or /openapi.json: they would be unauthenticated and are of no use to callers.
    app = FastAPI(title="lpgw payment-signer", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.signing = signing
    app.state.auth = auth
    install_error_handlers(app)
    app.include_router(orchestrator_info.router, dependencies=[Authenticated])
    app.router.routes.extend(health_routes(readiness))
    return app
