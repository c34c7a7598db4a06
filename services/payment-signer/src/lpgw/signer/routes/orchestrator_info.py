"""POST /sign-orchestrator-info: the address and signature for OrchestratorRequest."""

from fastapi import APIRouter
from lpgw.signer.deps import EmptyBody, Signing
from lpgw.signer.metrics import SIGNATURES
from pydantic import BaseModel

ROUTE = "/sign-orchestrator-info"
router = APIRouter()


class OrchestratorInfoSignatureBody(BaseModel):
    address: str
    signature: str


@router.post(ROUTE, dependencies=[EmptyBody])
async def sign_orchestrator_info(signing: Signing) -> OrchestratorInfoSignatureBody:
    signed = signing.orchestrator_info_signature()
    SIGNATURES.labels(route=ROUTE).inc()
    return OrchestratorInfoSignatureBody(
        address=signed.checksum_address, signature="0x" + signed.signature.hex()
    )
