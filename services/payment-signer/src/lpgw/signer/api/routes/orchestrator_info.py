"""POST /sign-orchestrator-info: the address and signature for OrchestratorRequest."""

import uuid

from lpgw.signer.api.requests import client_of, empty_or_json_object, services
from lpgw.signer.metrics import SIGNATURES
from lpgw.signer.payments.audit import AuditContext, audit_event
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROUTE = "/sign-orchestrator-info"


async def sign_orchestrator_info(request: Request) -> JSONResponse:
    client = client_of(request)
    await empty_or_json_object(request)
    found = services(request)
    signed = found.signing.orchestrator_info_signature()
    await found.audit.record(audit_event(AuditContext(client, ROUTE), None, []), uuid.uuid4().hex)
    SIGNATURES.labels(route=ROUTE).inc()
    return JSONResponse(
        {"address": signed.checksum_address, "signature": "0x" + signed.signature.hex()}
    )


routes = [Route(ROUTE, sign_orchestrator_info, methods=["POST"])]
