"""Assembles the signer's ASGI app: authenticated routes, health, the error envelope.

Starlette, not FastAPI: there is no OpenAPI to publish (it would be unauthenticated and of no
use to callers), and FastAPI's per-request machinery cost a fifth of the signer's CPU per
payment.
"""

from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes
from lpgw.signer.api.auth import BearerAuth
from lpgw.signer.api.envelope import exception_handlers
from lpgw.signer.api.requests import Services
from lpgw.signer.api.routes import byoc, discovery, live_payment, orchestrator_info, sessions
from lpgw.signer.discovery import OrchestratorDirectory
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.live.service import LivePaymentService
from lpgw.signer.payments.audit import AuditSink
from lpgw.signer.payments.service import PaymentService
from starlette.applications import Starlette


def create_app(
    signing: SigningService,
    auth: BearerAuth,
    readiness: Readiness,
    audit: AuditSink,
    *,
    payments_service: PaymentService | None = None,
    live_service: LivePaymentService | None = None,
    directory: OrchestratorDirectory | None = None,
) -> Starlette:
    """Routes whose service is not given answer 503 (tests assemble only what they use)."""
    routes = [
        *orchestrator_info.routes,
        *sessions.routes,
        *byoc.routes,
        *live_payment.routes,
        *discovery.routes,
        *health_routes(readiness),
    ]
    app = Starlette(routes=routes, exception_handlers=exception_handlers())
    app.state.services = Services(
        signing=signing,
        auth=auth,
        audit=audit,
        payments=payments_service,
        live=live_service,
        directory=directory,
    )
    return app
