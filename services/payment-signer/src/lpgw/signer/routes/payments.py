"""POST /v1/payments and /v1/payments/{payment_id}/complete: our session's payment API."""

from fastapi import APIRouter
from lpgw.signer.ceilings import rat
from lpgw.signer.credit import parse_outcome
from lpgw.signer.deps import Client, Payments
from lpgw.signer.metrics import SIGNATURES, TICKETS
from lpgw.signer.payment_request import (
    CompleteBody,
    PaymentBody,
    checked_payment_id,
    payment_order,
)
from lpgw.signer.payments import ROUTE
from pydantic import BaseModel

router = APIRouter()


class PaymentResponse(BaseModel):
    payment_id: str
    payment: str
    segment: str
    tickets: int
    ev: str
    fee: str
    credit: str


class CompleteResponse(BaseModel):
    credit: str


@router.post(ROUTE)
async def create_payment(body: PaymentBody, payments: Payments, client: Client) -> PaymentResponse:
    created = await payments.create(payment_order(body), client)
    if not created.replayed:
        SIGNATURES.labels(route=ROUTE).inc()
        TICKETS.labels(route=ROUTE).inc(created.tickets)
    return PaymentResponse(
        payment_id=created.payment_id,
        payment=created.payment,
        segment=created.segment,
        tickets=created.tickets,
        ev=rat(created.ev),
        fee=rat(created.fee),
        credit=rat(created.credit),
    )


@router.post(ROUTE + "/{payment_id}/complete")
async def complete_payment(
    payment_id: str, body: CompleteBody, payments: Payments, client: Client
) -> CompleteResponse:
    credit = await payments.complete(
        checked_payment_id(payment_id), parse_outcome(body.outcome), body.debit_units
    )
    return CompleteResponse(credit=rat(credit))
