"""POST /sign-orchestrator-info: the address and signature for OrchestratorRequest."""

import uuid

from fastapi import APIRouter
from lpgw.signer.api.deps import Audit, Client, EmptyBody, Signing
from lpgw.signer.metrics import SIGNATURES
from lpgw.signer.payments.audit import AuditContext, audit_event
from pydantic import BaseModel

ROUTE = "/sign-orchestrator-info"
router = APIRouter()


class OrchestratorInfoSignatureBody(BaseModel):
    address: str
    signature: str


@router.post(ROUTE, dependencies=[EmptyBody])
async def sign_orchestrator_info(
    signing: Signing, audit: Audit, client: Client
) -> OrchestratorInfoSignatureBody:
    signed = signing.orchestrator_info_signature()
    await audit.record(audit_event(AuditContext(client, ROUTE), None, []), uuid.uuid4().hex)
    SIGNATURES.labels(route=ROUTE).inc()
    return OrchestratorInfoSignatureBody(
        address=signed.checksum_address, signature="0x" + signed.signature.hex()
    )
