"""The payment-session API of our own services: open a session, pay, settle.

`POST /v1/sessions` → the session; `POST /v1/sessions/{session_id}/payments` → the headers of
one request; `POST /v1/payments/{payment_id}/settle` → the credit after a request that did not
end as answered. See the service's README for the semantics.
"""

from dataclasses import asdict

from lpgw.pm.rationals import rat_string
from lpgw.signer.api.requests import client_of, json_body, required, services
from lpgw.signer.metrics import SIGNATURES, TICKETS
from lpgw.signer.payments.orders import (
    OpenBody,
    PayBody,
    SettleBody,
    checked_id,
    open_order,
    pay_order,
)
from lpgw.signer.payments.service import OPEN_ROUTE, PAY_ROUTE, SETTLE_ROUTE, PaymentService
from lpgw.signer.policy.credit import parse_ending
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def _payments(request: Request) -> PaymentService:
    return required(services(request).payments, "payments")


async def open_session(request: Request) -> JSONResponse:
    client = client_of(request)
    order = open_order(await json_body(request, OpenBody))
    session = await _payments(request).open(order, client)
    params = session.offer.params
    answer = {
        "session_id": session.id,
        "expires_at": int(session.expires_at),
        "price": rat_string(session.price),
        "ticket_ev": rat_string(params.ev) if params is not None else "0",
        "recipient": session.offer.recipient,
    }
    if not session.offer.pays_with_tickets:
        # Nothing to count: every AI payment of this session would be these two headers.
        answer |= {"payment": session.no_tickets, "segment": session.ai_segment}
    return JSONResponse(answer)


async def pay(request: Request) -> JSONResponse:
    client = client_of(request)
    session_id = checked_id(request.path_params["session_id"], "session id")
    order = pay_order(await json_body(request, PayBody))
    answer = await _payments(request).pay(client, session_id, order)
    if answer.tickets or order.segment is not None:  # tickets, or a segment's own SegData
        SIGNATURES.labels(route=PAY_ROUTE).inc()
    TICKETS.labels(route=PAY_ROUTE).inc(answer.tickets)
    return JSONResponse(asdict(answer))


async def settle(request: Request) -> JSONResponse:
    client = client_of(request)
    payment_id = checked_id(request.path_params["payment_id"], "payment id")
    body = await json_body(request, SettleBody)
    credit = await _payments(request).settle(
        client, payment_id, parse_ending(body.outcome), body.debit_units
    )
    return JSONResponse({"credit": rat_string(credit)})


routes = [
    Route(OPEN_ROUTE, open_session, methods=["POST"]),
    Route(PAY_ROUTE, pay, methods=["POST"]),
    Route(SETTLE_ROUTE, settle, methods=["POST"]),
]
