"""Assembles the signer's FastAPI app: routers behind bearer auth, health, error envelope."""

from fastapi import FastAPI
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes
from lpgw.signer.api.auth import BearerAuth
from lpgw.signer.api.deps import Authenticated
from lpgw.signer.api.envelope import install_error_handlers
from lpgw.signer.api.routes import discovery, live_payment, orchestrator_info, sessions
from lpgw.signer.discovery import OrchestratorDirectory
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.live.service import LivePaymentService
from lpgw.signer.payments.audit import AuditSink
from lpgw.signer.payments.service import PaymentService


def create_app(
    signing: SigningService,
    auth: BearerAuth,
    readiness: Readiness,
    audit: AuditSink,
    *,
    payments_service: PaymentService | None = None,
    live_service: LivePaymentService | None = None,
    directory: OrchestratorDirectory | None = None,
) -> FastAPI:
    """Routes whose service is not given answer 503 (tests assemble only what they use)."""
    # No /docs or /openapi.json: they would be unauthenticated and are of no use to callers.
    app = FastAPI(title="lpgw payment-signer", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.signing = signing
    app.state.auth = auth
    app.state.audit = audit
    app.state.payments = payments_service
    app.state.live = live_service
    app.state.directory = directory
    install_error_handlers(app)
    for router in (orchestrator_info, sessions, live_payment, discovery):
        app.include_router(router.router, dependencies=[Authenticated])
    app.router.routes.extend(health_routes(readiness))
    return app
