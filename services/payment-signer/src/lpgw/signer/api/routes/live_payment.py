"""POST /generate-live-payment: the reference remote signer's payment call (§11.2)."""

import base64

from fastapi import APIRouter, Request
from lpgw.signer.api.deps import Client, Live
from lpgw.signer.live.request import parse_live_request
from lpgw.signer.live.service import ROUTE
from lpgw.signer.metrics import SIGNATURES
from pydantic import BaseModel, Field

router = APIRouter()


class StateBody(BaseModel):
    State: str
    Sig: str


class LivePaymentResponse(BaseModel):
    payment: str
    seg_creds: str = Field(serialization_alias="segCreds")
    state: StateBody


@router.post(ROUTE, response_model_by_alias=True)
async def generate_live_payment(
    request: Request, live: Live, client: Client
) -> LivePaymentResponse:
    parsed = parse_live_request(await request.body())
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, []).append(value)
    made = await live.generate(parsed, headers, client)
    SIGNATURES.labels(route=ROUTE).inc()
    return LivePaymentResponse(
        payment=made.payment,
        seg_creds=made.seg_creds,
        state=StateBody(
            State=base64.b64encode(made.state).decode("ascii"),
            Sig=base64.b64encode(made.sig).decode("ascii"),
        ),
    )
