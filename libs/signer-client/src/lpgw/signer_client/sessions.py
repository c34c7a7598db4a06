"""Client of the payment-signer's payment sessions: open once per orchestrator offer, then one
call per request (or segment, or interval), retried safely.

Every call is idempotent on the signer (opening derives the session from the offer; a payment
carries the caller's idempotency key; a settlement happens once), so a call that got no usable
answer (timeout, connection lost, 5xx) is sent again, a few times, before `SignerUnavailable`
is raised (`transport.py`): a payment retried after a timeout is answered with the first one,
never made twice.
"""

import base64
from dataclasses import dataclass
from typing import Any

import aiohttp
from lpgw.signer_client.errors import Call, SignerUnavailable
from lpgw.signer_client.transport import SignerCalls

TIMEOUT_S = 10.0


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
        self._calls = SignerCalls(http, signer_url, token)

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
        answer = await self._calls.post("/v1/sessions", body, Call.OPEN)
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
        account: str = "",
    ) -> Paid:
        """The headers of one request; `account` (an API key id) has the fee counted in its
        spend on the signer."""
        body: dict[str, Any] = {"units": units, "idempotency_key": idempotency_key, "job": job}
        if account:
            body["account"] = account
        if segment is not None:
            body["segment"] = {
                "seq": segment.seq,
                "hash_hex": segment.hash.hex(),
                "profiles": list(segment.profiles),
            }
        answer = await self._calls.post(f"/v1/sessions/{session_id}/payments", body, Call.PAY)
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
        await self._calls.post(f"/v1/payments/{payment_id}/settle", body, Call.SETTLE)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
