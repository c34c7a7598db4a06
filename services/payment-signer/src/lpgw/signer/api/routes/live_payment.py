"""POST /generate-live-payment: the reference remote signer's payment call (§11.2)."""

import base64

from lpgw.signer.api.requests import client_of, required, services
from lpgw.signer.live.request import parse_live_request
from lpgw.signer.live.service import ROUTE
from lpgw.signer.metrics import SIGNATURES
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def generate_live_payment(request: Request) -> JSONResponse:
    client = client_of(request)
    live = required(services(request).live, "live")
    parsed = parse_live_request(await request.body())
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, []).append(value)
    made = await live.generate(parsed, headers, client)
    SIGNATURES.labels(route=ROUTE).inc()
    return JSONResponse(
        {
            "payment": made.payment,
            "segCreds": made.seg_creds,
            "state": {
                "State": base64.b64encode(made.state).decode("ascii"),
                "Sig": base64.b64encode(made.sig).decode("ascii"),
            },
        }
    )


routes = [Route(ROUTE, generate_live_payment, methods=["POST"])]
