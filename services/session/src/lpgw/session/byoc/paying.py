"""Paying BYOC jobs by the second through the payment-signer (payments.md §8, BYOC row).

The orchestrator keeps one balance per (sender, capability), debits ceil(seconds run) × price
when the job ends (5 units every 5 s while it streams), and refuses to start a job unless the
balance covers 60 s. So each job pays in advance for `max(timeout_seconds, 60)` seconds: the
signer's credit with that orchestrator for the capability (the same bucket as the
orchestrator's) tells whether new tickets are needed. When the job ends, the payment is
settled with the seconds it really ran, so the credit follows the orchestrator's debit: paid
per second used, not per second reserved. A token with no ticket params or no price takes no
payment (off-chain, or a free capability).
"""

import math
from dataclasses import dataclass

from lpgw.signer_client.sessions import SignerSessions
from lpgw.wire.byoc import JobToken, token_as_orchestrator_info

MIN_PREPAID_S = 60
"""The orchestrator refuses a job unless the balance covers this many seconds."""
BYOC_PIPELINE = "byoc"


@dataclass(frozen=True)
class JobPayment:
    """The `Livepeer-Payment` header of one job, and what to settle it with."""

    header: str
    payment_id: str = ""


FREE = JobPayment(header="")


class ByocPayments:
    def __init__(self, sessions: SignerSessions | None) -> None:
        self._sessions = sessions
        self._opened: dict[tuple[str, bytes, str], str] = {}

    async def pay(
        self,
        url: str,
        token: JobToken,
        capability: str,
        timeout_s: int,
        key: str,
        job: str,
        account: str,
    ) -> JobPayment:
        if self._sessions is None or token.ticket_params is None or token.price_per_second <= 0:
            return FREE
        session_id = await self._session(url, token, capability)
        paid = await self._sessions.pay(
            session_id,
            units=max(timeout_s, MIN_PREPAID_S),
            idempotency_key=key,
            job=job,
            account=account,
        )
        return JobPayment(header=paid.payment, payment_id=paid.payment_id)

    async def settle(self, payment: JobPayment, seconds: float, sent: bool) -> None:
        """The job ended after `seconds` (`sent`: the request reached the orchestrator)."""
        if self._sessions is None or not payment.payment_id:
            return
        if sent:
            used = math.ceil(seconds)
            await self._sessions.settle(payment.payment_id, "received", debit_units=used)
        else:
            await self._sessions.settle(payment.payment_id, "staged")

    async def _session(self, url: str, token: JobToken, capability: str) -> str:
        """One signer session per orchestrator offer (its ticket params), opened once."""
        assert self._sessions is not None and token.ticket_params is not None
        key = (url, token.ticket_params.SerializeToString(), capability)
        session_id = self._opened.get(key)
        if session_id is None:
            info = token_as_orchestrator_info(token)
            opened = await self._sessions.open(
                info.SerializeToString(),
                pipeline=BYOC_PIPELINE,
                model_id=capability,
                bucket=capability,
                capabilities=None,
            )
            session_id = self._opened[key] = opened.session_id
            if len(self._opened) > 1024:  # old offers' sessions are not needed again
                self._opened.pop(next(iter(self._opened)))
        return session_id
