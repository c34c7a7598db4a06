"""How attempts are paid: the payment-signer's payment sessions, or nothing off-chain.

The session holds no key and keeps no balance. For each orchestrator offer (an
OrchestratorInfo with its ticket params) it opens one payment session on the signer, which
checks the offer once; each attempt is then one call that returns the `Livepeer-Payment` and
`Livepeer-Segment` headers, with new tickets only when our credit with that orchestrator runs
short. An attempt that ended other than answered is settled with one more call: `staged`
(nothing was sent) or `spent` (sent, no usable answer).
"""

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from lpgw.signer_client.sessions import OpenedSession, Paid, SignerSessions
from lpgw.wire.capabilities import ai_job_capabilities
from lpgw.wire.headers import encode_payment, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import ai_manifest_id, ai_segdata


class Ending(Enum):
    """How a paid attempt ended when it was not answered (payments.md §7)."""

    SPENT = "spent"  # sent, no usable answer: the credit is treated as gone
    STAGED = "staged"  # never sent: the payment is undone


@dataclass(frozen=True)
class PaymentSession:
    """What attempts on one offer are paid with: the signer's session, or none off-chain."""

    info: pb.OrchestratorInfo
    pipeline: str
    model_id: str
    signer: OpenedSession | None = None


class Payments(Protocol):
    async def open(
        self, info: pb.OrchestratorInfo, pipeline: str, model_id: str
    ) -> PaymentSession: ...

    async def pay(
        self, session: PaymentSession, *, units: int, key: str, job: str, account: str = ""
    ) -> Paid: ...

    async def settle(self, paid: Paid, ending: Ending) -> None: ...


class OffChainPayments:
    """No signer: empty `Livepeer-Payment` and unsigned segment credentials, which off-chain
    orchestrators accept."""

    async def open(self, info: pb.OrchestratorInfo, pipeline: str, model_id: str) -> PaymentSession:
        return PaymentSession(info, pipeline, model_id)

    async def pay(
        self, session: PaymentSession, *, units: int, key: str, job: str, account: str = ""
    ) -> Paid:
        segment = ai_segdata(
            session.pipeline,
            session.model_id,
            session.info.auth_token,
            ai_job_capabilities(session.pipeline, session.model_id),
            None,
        )
        return Paid(
            payment_id="", payment=encode_payment(None), segment=encode_segment(segment), tickets=0
        )

    async def settle(self, paid: Paid, ending: Ending) -> None:
        return None


class SignerPayments:
    """Payment sessions of the payment-signer (`lpgw.signer_client.sessions`)."""

    def __init__(self, sessions: SignerSessions) -> None:
        self._sessions = sessions

    async def open(self, info: pb.OrchestratorInfo, pipeline: str, model_id: str) -> PaymentSession:
        opened = await self._sessions.open(
            info.SerializeToString(),
            pipeline=pipeline,
            model_id=model_id,
            bucket=ai_manifest_id(pipeline, model_id),
            capabilities=ai_job_capabilities(pipeline, model_id).SerializeToString(),
        )
        return PaymentSession(info, pipeline, model_id, opened)

    async def pay(
        self, session: PaymentSession, *, units: int, key: str, job: str, account: str = ""
    ) -> Paid:
        if session.signer is None:
            raise ValueError("a session opened off-chain cannot be paid through the signer")
        if session.signer.free is not None:  # no tickets, no credit: nothing to ask the signer
            return session.signer.free
        return await self._sessions.pay(
            session.signer.session_id, units=units, idempotency_key=key, job=job, account=account
        )

    async def settle(self, paid: Paid, ending: Ending) -> None:
        if paid.payment_id:
            await self._sessions.settle(paid.payment_id, ending.value)
