"""What every route takes from a request: the calling client, the services, a checked body.

Plain functions rather than a framework's dependency injection: the signer sits in the path of
every paid request, and resolving dependencies per call cost more CPU than the payment itself
(docs/performance.md).
"""

import json
from dataclasses import dataclass
from typing import TypeVar

from lpgw.signer.api.auth import BearerAuth
from lpgw.signer.discovery import OrchestratorDirectory
from lpgw.signer.errors import InvalidRequest, Unauthorized, Unavailable
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.live.service import LivePaymentService
from lpgw.signer.payments.audit import AuditSink
from lpgw.signer.payments.service import PaymentService
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

Body = TypeVar("Body", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    """What the routes work with; a service not given answers 503 (tests assemble only what
    they use)."""

    signing: SigningService
    auth: BearerAuth
    audit: AuditSink
    payments: PaymentService | None = None
    live: LivePaymentService | None = None
    directory: OrchestratorDirectory | None = None


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def required(service: T | None, name: str) -> T:
    if service is None:
        raise Unavailable(f"{name} not configured")
    return service


def client_of(request: Request) -> str:
    """The calling client's name; 401 without an accepted bearer token."""
    client = services(request).auth.client(request.headers.get("authorization"))
    if client is None:
        raise Unauthorized("missing or invalid bearer token")
    return client


async def json_body(request: Request, model: type[Body]) -> Body:
    """The body as `model`; 400 naming the first field that is wrong."""
    raw = await request.body()
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = "request body is not JSON" if first["type"] == "json_invalid" else first["msg"]
        raise InvalidRequest(f"{where}: {message}" if where else message) from None


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
