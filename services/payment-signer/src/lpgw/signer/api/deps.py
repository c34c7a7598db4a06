"""FastAPI dependencies: the services, the authenticated client, request body checks.

All are `async def`: FastAPI would run plain functions in a worker thread, a thread hop per
dependency per request for what are attribute lookups.
"""

import json
from typing import Annotated, cast

from fastapi import Depends, Header, Request
from lpgw.signer.api.auth import BearerAuth
from lpgw.signer.discovery import OrchestratorDirectory
from lpgw.signer.errors import InvalidRequest, Unauthorized, Unavailable
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.live.service import LivePaymentService
from lpgw.signer.payments.audit import AuditSink
from lpgw.signer.payments.service import PaymentService


async def _signing(request: Request) -> SigningService:
    return cast(SigningService, request.app.state.signing)


async def _audit(request: Request) -> AuditSink:
    return cast(AuditSink, request.app.state.audit)


def _service(request: Request, name: str) -> object:  # a helper, not a dependency
    service = getattr(request.app.state, name, None)
    if service is None:
        raise Unavailable(f"{name} not configured")
    return service


async def _payments(request: Request) -> PaymentService:
    return cast(PaymentService, _service(request, "payments"))


async def _live(request: Request) -> LivePaymentService:
    return cast(LivePaymentService, _service(request, "live"))


async def _directory(request: Request) -> OrchestratorDirectory:
    return cast(OrchestratorDirectory, _service(request, "directory"))


async def require_client(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> str:
    """The calling client's name; 401 without an accepted bearer token."""
    auth = cast(BearerAuth, request.app.state.auth)
    client = auth.client(authorization)
    if client is None:
        raise Unauthorized("missing or invalid bearer token")
    return client


async def empty_or_json_object(request: Request) -> None:
    """Accept an empty body or a JSON object (clients send `{}`); anything else is a 400."""
    body = await request.body()
    if not body.strip():
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidRequest("request body is not JSON") from None
    if not isinstance(document, dict):
        raise InvalidRequest("request body must be a JSON object")


Signing = Annotated[SigningService, Depends(_signing)]
Audit = Annotated[AuditSink, Depends(_audit)]
Payments = Annotated[PaymentService, Depends(_payments)]
Live = Annotated[LivePaymentService, Depends(_live)]
Directory = Annotated[OrchestratorDirectory, Depends(_directory)]
Client = Annotated[str, Depends(require_client)]
EmptyBody = Depends(empty_or_json_object)
Authenticated = Depends(require_client)
