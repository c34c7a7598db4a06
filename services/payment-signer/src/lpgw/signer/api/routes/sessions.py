"""The payment-session API of our own services: open a session, pay, settle.

`POST /v1/sessions` → the session; `POST /v1/sessions/{session_id}/payments` → the headers of
one request; `POST /v1/payments/{payment_id}/settle` → the credit after a request that did not
end as answered. See the service's README for the semantics.
"""

from fastapi import APIRouter
from lpgw.pm.rationals import rat_string
from lpgw.signer.api.deps import Client, Payments
from lpgw.signer.metrics import SIGNATURES, TICKETS
from lpgw.signer.payments.orders import (
    OpenBody,
    PayBody,
    SettleBody,
    checked_id,
    open_order,
    pay_order,
)
from lpgw.signer.payments.records import Answer
from lpgw.signer.payments.service import OPEN_ROUTE, PAY_ROUTE, SETTLE_ROUTE
from lpgw.signer.policy.credit import parse_ending
from pydantic import BaseModel

router = APIRouter()


class SessionResponse(BaseModel):
    session_id: str
    expires_at: int
    price: str
    ticket_ev: str
    recipient: str


class PaymentResponse(BaseModel):
    payment_id: str
    payment: str
    segment: str
    tickets: int
    fee: str
    credit: str


class SettleResponse(BaseModel):
    credit: str


@router.post(OPEN_ROUTE)
async def open_session(body: OpenBody, payments: Payments, client: Client) -> SessionResponse:
    session = await payments.open(open_order(body), client)
    params = session.offer.params
    return SessionResponse(
        session_id=session.id,
        expires_at=int(session.expires_at),
        price=rat_string(session.price),
        ticket_ev=rat_string(params.ev) if params is not None else "0",
        recipient=session.offer.recipient,
    )


@router.post(PAY_ROUTE)
async def pay(
    session_id: str, body: PayBody, payments: Payments, client: Client
) -> PaymentResponse:
    answer: Answer = await payments.pay(
        client, checked_id(session_id, "session id"), pay_order(body)
    )
    if answer.tickets:
        SIGNATURES.labels(route=PAY_ROUTE).inc()
        TICKETS.labels(route=PAY_ROUTE).inc(answer.tickets)
    return PaymentResponse(**answer.__dict__)


@router.post(SETTLE_ROUTE)
async def settle(
    payment_id: str, body: SettleBody, payments: Payments, client: Client
) -> SettleResponse:
    credit = await payments.settle(
        client, checked_id(payment_id, "payment id"), parse_ending(body.outcome), body.debit_units
    )
    return SettleResponse(credit=rat_string(credit))
