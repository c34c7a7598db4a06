"""Client of the payment-signer's payment sessions: open once per orchestrator offer, then one
call per request (or segment, or interval), retried safely.

Every call is idempotent on the signer (opening derives the session from the offer; a payment
carries the caller's idempotency key; a settlement happens once), so a call that got no usable
answer (timeout, connection lost, 5xx) is sent again, a few times, before `SignerUnavailable`
is raised: a payment retried after a timeout is answered with the first one, never made twice.
The signer's statuses become the types of `errors.py` here and nowhere else.
"""

import asyncio
import base64
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from lpgw.signer_client.errors import Call, PaymentError, SignerUnavailable, refusal_for

logger = logging.getLogger("lpgw.signer_client")

TIMEOUT_S = 10.0
TRIES = 3
RETRY_DELAY_S = 0.2


@dataclass(frozen=True)
class Paid:
    """Header values of one request; `tickets` new ones were signed for it."""

    payment_id: str
    payment: str
    segment: str
    tickets: int


@dataclass(frozen=True)
class OpenedSession:
    session_id: str
    expires_at: int
    price: str
    ticket_ev: str
    free: Paid | None = None
    """For an orchestrator that takes no tickets: the headers every AI request of the session
    carries, so no payment call is needed."""


@dataclass(frozen=True)
class SignedSegment:
    """A transcoding segment's signed fields (absent for AI requests)."""

    seq: int
    hash: bytes
    profiles: tuple[str, ...] = ()


def signer_http() -> aiohttp.ClientSession:
    """The connection pool to the signer (keep-alive; default certificate verification, so the
    bearer token only goes over a verified connection)."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))


class SignerSessions:
    def __init__(self, http: aiohttp.ClientSession, signer_url: str, token: str | None) -> None:
        self._http = http
        self._base = signer_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def open(
        self,
        info: bytes,
        *,
        pipeline: str,
        model_id: str,
        bucket: str,
        capabilities: bytes | None,
    ) -> OpenedSession:
        """A session for this OrchestratorInfo (as received) and balance bucket."""
        body: dict[str, Any] = {
            "orchestrator": _b64(info),
            "pipeline": pipeline,
            "model_id": model_id,
            "bucket": bucket,
        }
        if capabilities:
            body["capabilities"] = _b64(capabilities)
        answer = await self._post("/v1/sessions", body, Call.OPEN)
        try:
            free = None
            if "payment" in answer:
                free = Paid("", str(answer["payment"]), str(answer["segment"]), tickets=0)
            return OpenedSession(
                session_id=str(answer["session_id"]),
                expires_at=int(answer["expires_at"]),
                price=str(answer["price"]),
                ticket_ev=str(answer["ticket_ev"]),
                free=free,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SignerUnavailable("the signer's session answer is incomplete") from exc

    async def pay(
        self,
        session_id: str,
        *,
        units: int,
        idempotency_key: str,
        job: str = "",
        segment: SignedSegment | None = None,
    ) -> Paid:
        body: dict[str, Any] = {"units": units, "idempotency_key": idempotency_key, "job": job}
        if segment is not None:
            body["segment"] = {
                "seq": segment.seq,
                "hash_hex": segment.hash.hex(),
                "profiles": list(segment.profiles),
            }
        answer = await self._post(f"/v1/sessions/{session_id}/payments", body, Call.PAY)
        try:
            return Paid(
                payment_id=str(answer["payment_id"]),
                payment=str(answer["payment"]),
                segment=str(answer["segment"]),
                tickets=int(answer["tickets"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SignerUnavailable("the signer's payment answer is incomplete") from exc

    async def settle(self, payment_id: str, outcome: str, debit_units: int | None = None) -> None:
        """Tell the signer how a paid request ended when it was not answered as estimated
        (`staged`, `spent`, or `received` with another debit)."""
        body: dict[str, Any] = {"outcome": outcome}
        if debit_units is not None:
            body["debit_units"] = debit_units
        await self._post(f"/v1/payments/{payment_id}/settle", body, Call.SETTLE)

    async def _post(self, path: str, body: dict[str, Any], call: Call) -> dict[str, Any]:
        """POST, sent again on an unusable answer (every call is idempotent on the signer)."""
        for attempt in range(1, TRIES + 1):
            try:
                return await self._post_once(path, body, call)
            except SignerUnavailable as exc:
                logger.warning(
                    "signer_call_failed",
                    extra={"call": call.value, "try": attempt, "error": exc.message},
                )
                if attempt == TRIES:
                    raise
            await asyncio.sleep(RETRY_DELAY_S * attempt)
        raise AssertionError("unreachable")

    async def _post_once(self, path: str, body: dict[str, Any], call: Call) -> dict[str, Any]:
        try:
            async with self._http.post(
                self._base + path, json=body, headers=self._headers
            ) as response:
                if response.status != 200:
                    raise refusal_for(response.status, await _message(response), call)
                answer = await response.json(content_type=None)
        except PaymentError:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SignerUnavailable(f"payment signer unreachable ({type(exc).__name__})") from exc
        except ValueError as exc:
            raise SignerUnavailable("the signer answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise SignerUnavailable("the signer answered something that is not a JSON object")
        return answer


async def _message(response: aiohttp.ClientResponse) -> str:
    """`error.message` of the signer's envelope, else a generic text."""
    try:
        body = await response.json(content_type=None)
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError, aiohttp.ClientError):
        return f"payment signer answered {response.status}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
