"""How one orchestrator attempt is paid: the payment-signer's session API, or nothing off-chain.

The session holds no key and keeps no balance: `POST {SIGNER_URL}/v1/payments` returns the
`Livepeer-Payment` and the signed `Livepeer-Segment` for one request, and
`POST /v1/payments/{id}/complete` settles the credit once the request has ended. Balances live
in the signer's Redis, so any session replica can carry a job on. The signer's HTTP statuses
become the types below here, once; the job logic decides by type.
"""

import asyncio
import base64
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import httpx
from lpgw.wire.headers import encode_payment, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import ai_manifest_id, ai_segdata

logger = logging.getLogger("lpgw.session.payments")

SIGNER_TIMEOUT_S = 10.0
SIGNER_TRIES = 3
RETRY_DELAY_S = 0.25


class Completion(Enum):
    """How a paid request ended (payments.md §7)."""

    RECEIVED = "received"  # the orchestrator answered 200: settle against the fee
    SPENT = "spent"  # sent, no usable answer: the new credit is gone
    STAGED = "staged"  # never sent: the reserved credit goes back


@dataclass(frozen=True)
class PaymentRequest:
    info: pb.OrchestratorInfo
    pipeline: str
    model_id: str
    units: int
    session: str
    capabilities: pb.Capabilities


@dataclass(frozen=True)
class Paid:
    """Header values for one request; `payment_id` is None when there is nothing to settle."""

    payment: str
    segment: str
    payment_id: str | None = None
    tickets: int = 0


class PaymentError(Exception):
    """The signer refused or failed; `message` is safe to show (it carries no secret)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class PriceAboveCeiling(PaymentError):
    """481: this orchestrator's price is above our ceiling; another one may be cheaper."""


class PaymentCapExceeded(PaymentError):
    """403: this orchestrator's ticket EV or face value is above our caps."""


class BudgetExhausted(PaymentError):
    """429: the client's or the session's spend budget is used up; no orchestrator helps."""


class TicketParamsRefused(PaymentError):
    """400 (or 480): the ticket params cannot be paid with (expired, EV ≥ face value…)."""


class SignerUnavailable(PaymentError):
    """No usable answer from the signer (down, 5xx, wrong token): retry later."""


class Payments(Protocol):
    async def pay(self, request: PaymentRequest) -> Paid: ...
    async def complete(self, paid: Paid, completion: Completion) -> None: ...


class OffChainPayments:
    """No signer: empty `Livepeer-Payment` and unsigned segment credentials, which off-chain
    orchestrators accept."""

    async def pay(self, request: PaymentRequest) -> Paid:
        segment = ai_segdata(
            request.pipeline,
            request.model_id,
            request.info.auth_token,
            request.capabilities,
            None,
        )
        return Paid(payment=encode_payment(None), segment=encode_segment(segment))

    async def complete(self, paid: Paid, completion: Completion) -> None:
        return None


class SignerPayments:
    def __init__(self, http: httpx.AsyncClient, signer_url: str, token: str | None) -> None:
        self._http = http
        self._base = signer_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def pay(self, request: PaymentRequest) -> Paid:
        body = {
            "orchestrator": _b64(request.info.SerializeToString()),
            "bucket": ai_manifest_id(request.pipeline, request.model_id),
            "units": request.units,
            "pipeline": request.pipeline,
            "model_id": request.model_id,
            "session": request.session,
            "capabilities": _b64(request.capabilities.SerializeToString()),
        }
        answer = await self._post("/v1/payments", body)
        try:
            return Paid(
                payment=str(answer["payment"]),
                segment=str(answer["segment"]),
                payment_id=str(answer["payment_id"]),
                tickets=int(answer.get("tickets", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SignerUnavailable("the signer's payment answer is incomplete") from exc

    async def complete(self, paid: Paid, completion: Completion) -> None:
        if paid.payment_id is None:
            return
        path = f"/v1/payments/{paid.payment_id}/complete"
        await self._post(path, {"outcome": completion.value})

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with a few quick retries while the signer is unreachable."""
        for attempt in range(1, SIGNER_TRIES + 1):
            try:
                return await self._post_once(path, body)
            except SignerUnavailable as exc:
                logger.warning(
                    "signer_call_failed",
                    extra={"path": path.split("/")[2], "try": attempt, "error": exc.message},
                )
                if attempt == SIGNER_TRIES:
                    raise
                await asyncio.sleep(RETRY_DELAY_S * attempt)
        raise AssertionError("unreachable")

    async def _post_once(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(
                self._base + path, json=body, headers=self._headers, timeout=SIGNER_TIMEOUT_S
            )
        except httpx.HTTPError as exc:
            raise SignerUnavailable(f"payment signer unreachable ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise refusal_for(response.status_code, _message(response))
        try:
            answer = response.json()
        except ValueError as exc:
            raise SignerUnavailable("the signer answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise SignerUnavailable("the signer answered something that is not a JSON object")
        return answer


def refusal_for(status: int, message: str) -> PaymentError:
    """The one mapping from a signer status to an error type."""
    if status == 481:
        return PriceAboveCeiling(message)
    if status == 403:
        return PaymentCapExceeded(message)
    if status == 429:
        return BudgetExhausted(message)
    if status in (400, 480):  # 480: the reference signer's "refresh the info and retry"
        return TicketParamsRefused(message)
    return SignerUnavailable(f"payment signer answered {status}")


def _message(response: httpx.Response) -> str:
    """`error.message` of the signer's envelope, else a generic text."""
    try:
        body = response.json()
        message = body["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return f"payment signer answered {response.status_code}"
    return str(message)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
