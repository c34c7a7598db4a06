"""How one orchestrator attempt is paid: the payment-signer's session API, or nothing off-chain.

The session holds no key and keeps no balance: `POST {SIGNER_URL}/v1/payments` returns the
`Livepeer-Payment` and the signed `Livepeer-Segment` for one request, and
`POST /v1/payments/{id}/complete` settles the credit once the request has ended. Balances live
in the signer's Redis, so any session replica can carry a job on. The signer's HTTP statuses
become the types below here, once; the job logic decides by type.

Retries: `/v1/payments` is sent again only when no connection was made. A request that reached
the signer may have created a payment whose answer was lost (read timeout, 5xx from a proxy);
a second one would reserve credit and budget a second time. A completion is idempotent on the
signer (a repeated one answers 404), so it is retried on any failure and a 404 means done.
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


class SignerNotReached(SignerUnavailable):
    """No connection was made: the request certainly did not reach the signer."""


class PaymentUnknown(SignerUnavailable):
    """404: no such payment, i.e. already completed (or expired); on `/v1/payments` a wrong
    signer URL, which is the signer being unavailable."""


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


def new_signer_client() -> httpx.AsyncClient:
    """The signer's HTTP client, apart from the orchestrators' (which verifies no certificate):
    the bearer token goes only over a verified connection."""
    return httpx.AsyncClient(follow_redirects=False)


class SignerPayments:
    def __init__(
        self,
        http: httpx.AsyncClient,
        signer_url: str,
        token: str | None,
        *,
        timeout_s: float = SIGNER_TIMEOUT_S,
    ) -> None:
        self._http = http
        self._base = signer_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout_s = timeout_s

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
        answer = await self._post("/v1/payments", body, retry=SignerNotReached)
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
        try:
            await self._post(path, {"outcome": completion.value}, retry=SignerUnavailable)
        except PaymentUnknown:
            return  # an earlier try completed it and its answer was lost (or it expired)

    async def _post(
        self, path: str, body: dict[str, Any], retry: type[SignerUnavailable]
    ) -> dict[str, Any]:
        """POST with a few quick retries on the failures of type `retry` (never a 404)."""
        for attempt in range(1, SIGNER_TRIES + 1):
            try:
                return await self._post_once(path, body)
            except SignerUnavailable as exc:
                logger.warning(
                    "signer_call_failed",
                    extra={"path": path.split("/")[2], "try": attempt, "error": exc.message},
                )
                again = isinstance(exc, retry) and not isinstance(exc, PaymentUnknown)
                if not again or attempt == SIGNER_TRIES:
                    raise
                await asyncio.sleep(RETRY_DELAY_S * attempt)
        raise AssertionError("unreachable")

    async def _post_once(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(
                self._base + path, json=body, headers=self._headers, timeout=self._timeout_s
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise SignerNotReached(f"payment signer unreachable ({type(exc).__name__})") from exc
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
    if status == 404:
        return PaymentUnknown(message)
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
