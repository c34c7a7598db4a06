"""`PaymentService`: open a payment session, pay requests against it, settle the odd ending.

Open checks the offer once (price ceilings 481, the reference's params validation 400, our EV
and face value caps 403) and stores the session. A payment then costs one Redis round trip
when the credit covers the request (the usual case: one ticket's EV pays for many requests)
and makes tickets only when it does not (`lpgw.signer.policy.credit`); its record and the
credit change are written by one script, keyed by the caller's idempotency key, so a retried
call gets the first call's answer and never pays twice. A request that did not end as
answered is settled with a second call (staged, spent, or received with another debit).

A payment made for an account (an API key id) adds its fee to that account's spend in the
script that writes its record, and a staged settlement takes it back in the script that marks
the settlement (`stores/accounts.py`): both happen once, and cost no extra round trip.
"""

import asyncio
import hashlib
import random
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from fractions import Fraction

from lpgw.pm import TicketSenderParams
from lpgw.pm.chain import ChainView
from lpgw.pm.rationals import rat_string
from lpgw.signer.errors import IdempotencyConflict, Unavailable, UnknownPayment, UnknownSession
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.payments.audit import AuditContext, AuditSink, audit_event
from lpgw.signer.payments.issuance import Issued, TicketIssuer
from lpgw.signer.payments.message import b64, payment_message
from lpgw.signer.payments.orders import OpenOrder, PayOrder
from lpgw.signer.payments.records import Answer, PaymentRecord
from lpgw.signer.payments.sessions import (
    MAX_SESSION_TTL_S,
    PaymentSession,
    SessionCache,
    build_session,
    session_expiry,
    session_id,
)
from lpgw.signer.policy.credit import Ending, Purchase, after_ending, purchase
from lpgw.signer.policy.spend import PaymentPolicy, check_fresh, check_offer
from lpgw.signer.stores.accounts import AccountSpend, SpendChange, spend_change
from lpgw.signer.stores.credit import CreditLedger, CreditState, Marked
from lpgw.signer.stores.payments import PaymentRecords
from lpgw.signer.stores.sessions import SessionRecord, SessionStore
from lpgw.state import Keys

OPEN_ROUTE = "/v1/sessions"
PAY_ROUTE = "/v1/sessions/{session_id}/payments"
SETTLE_ROUTE = "/v1/payments/{payment_id}/settle"
RECENT_PAYMENTS = 10_000
"""Answers a replica remembers, so a retry it serves costs no Redis read."""
COMMIT_TRIES = 32
"""Compare-and-set rounds before a payment gives up (only other replicas' writes retry)."""
CONTENTION_PAUSE_S = 0.002
"""Longest random pause after another replica moved the credit, so two replicas that keep
colliding fall out of step."""


class PaymentService:
    def __init__(
        self,
        signing: SigningService,
        chain: ChainView,
        policy: PaymentPolicy,
        keys: Keys,
        *,
        sessions: SessionStore,
        credit: CreditLedger,
        records: PaymentRecords,
        issuer: TicketIssuer,
        audit: AuditSink,
        spend: AccountSpend,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signing = signing
        self._chain = chain
        self._policy = policy
        self._keys = keys
        self._store = sessions
        self._sessions = SessionCache(sessions, signing, clock)
        self._credit = credit
        self._records = records
        self._issuer = issuer
        self._audit = audit
        self._spend = spend
        self._clock = clock
        self._recent: OrderedDict[str, tuple[PaymentRecord, float]] = OrderedDict()

    async def open(self, order: OpenOrder, client: str) -> PaymentSession:
        """The session for this offer, checked and stored (the same one when opened again)."""
        offer = order.offer
        check_offer(
            offer,
            ceilings=[self._policy.ceiling(order.pipeline, order.model_id)],
            chain=self._chain,
            sender=self._signing.address_bytes,
            limits=self._policy.limits,
        )
        now = self._clock()
        check_fresh(offer, self._chain.latest_l1_block(), now, needs_token=False)
        names = (order.pipeline, order.model_id, order.bucket)
        sid = session_id(client, order.info, order.capabilities, names)
        known = self._sessions.known(sid)
        if known is not None:
            return known
        record = SessionRecord(
            session_id=sid,
            client=client,
            info=order.info,
            capabilities=order.capabilities,
            pipeline=order.pipeline,
            model_id=order.model_id,
            bucket=order.bucket,
            expires_at=session_expiry(offer.info, now),
        )
        session = build_session(record, self._signing)
        context = AuditContext(
            client=client,
            route=OPEN_ROUTE,
            orchestrator=offer.transcoder,
            bucket=order.bucket,
            payment_session=sid,
        )
        await self._audit.record(audit_event(context, None, [], self._clock), uuid.uuid4().hex)
        await self._store.save(record, min(int(session.expires_at - now), MAX_SESSION_TTL_S))
        return self._sessions.keep(session)

    async def pay(self, client: str, sid: str, order: PayOrder) -> Answer:
        session = await self._sessions.find(sid)
        if session is None or session.record.client != client:
            raise UnknownSession(f"no payment session {sid} (never opened, or expired)")
        check_fresh(session.offer, self._chain.latest_l1_block(), self._clock(), needs_token=False)
        payment_id = _payment_id(client, sid, order.idempotency_key)
        recent = self._recent_record(payment_id)
        if recent is not None:
            return _replayed(recent, order)
        fee = session.price * order.units
        segment = session.segment(self._signing, order.segment)
        spend = spend_change(self._keys, order.account, fee)
        params = session.offer.params
        if params is None or not session.offer.pays_with_tickets:
            answer = Answer(payment_id, session.no_tickets, segment, 0, rat_string(fee), "0")
            return await self._pay_free(client, session, order, answer, spend)
        context = AuditContext(
            client=client,
            route=PAY_ROUTE,
            orchestrator=session.offer.transcoder,
            bucket=session.record.bucket,
            job=order.job,
            payment_session=sid,
        )
        issued: list[Issued] = []
        tickets: list[TicketSenderParams] = []
        async with self._credit.hold(session.offer.recipient, session.record.bucket) as held:
            state = await held.state()
            for _ in range(COMMIT_TRIES):
                needed = purchase(state.amount, fee, params.ev, self._policy.credit_headroom)
                if needed.tickets > len(tickets):
                    if not issued:  # a retry served by another replica: answer it, sign nothing
                        stored = await self._records.load(payment_id)
                        if stored is not None:
                            return _replayed(PaymentRecord.from_json(stored), order)
                    more = needed.tickets - len(tickets)
                    issued.append(await self._issuer.issue(params, more, context=context))
                    tickets += issued[-1].tickets
                # Tickets made for an earlier try (another replica moved the credit) are kept:
                # they are worth their EV whatever the credit is now.
                bought = Purchase(len(tickets), params.ev * len(tickets), fee)
                credit = bought.applied(state.amount)
                payment = session.no_tickets
                if tickets:
                    sender = self._signing.address_bytes
                    payment = b64(payment_message(session.offer, sender, tickets))
                answer = Answer(
                    payment_id,
                    payment,
                    segment,
                    bought.tickets,
                    rat_string(fee),
                    rat_string(credit),
                )
                record = PaymentRecord(
                    client=client,
                    session_id=sid,
                    recipient=session.offer.recipient,
                    bucket=session.record.bucket,
                    units=order.units,
                    price=session.price,
                    bought=bought,
                    fingerprint=order.fingerprint,
                    answer=answer,
                    account=order.account,
                )
                written = await held.commit(
                    state,
                    credit,
                    self._keys.payment(payment_id),
                    record.to_json(),
                    self._policy.payment_ttl_s,
                    spend,
                )
                if isinstance(written, CreditState):
                    self._remember(payment_id, record)
                    return answer
                if isinstance(written, Marked):
                    await self._refund(issued)
                    return _replayed(PaymentRecord.from_json(written.value), order)
                state = written.state
                await asyncio.sleep(random.uniform(0, CONTENTION_PAUSE_S))
        await self._refund(issued)
        raise Unavailable("credit changed by other replicas on every try")

    async def settle(
        self, client: str, payment_id: str, ending: Ending, debit_units: int | None
    ) -> Fraction:
        """Correct the credit for a request that did not end as an answered one; returns the
        credit now."""
        record = self._recent_record(payment_id)
        if record is None:
            stored = await self._records.load(payment_id)
            record = None if stored is None else PaymentRecord.from_json(stored)
        if record is None or record.client != client:
            raise UnknownPayment(f"no payment {payment_id} (unknown, expired or free)")
        spend = _taken_back(self._keys, record, ending)
        if record.free:
            return await self._settle_free(payment_id, spend)
        async with self._credit.hold(record.recipient, record.bucket) as held:
            state = await held.state()
            for _ in range(COMMIT_TRIES):
                amount = after_ending(
                    state.amount,
                    record.bought,
                    ending,
                    price=record.price,
                    units=record.units,
                    debit_units=debit_units,
                )
                written = await held.commit(
                    state,
                    amount,
                    self._keys.payment_settled(payment_id),
                    ending.value,
                    self._policy.payment_ttl_s,
                    spend,
                )
                if isinstance(written, CreditState):
                    return amount
                if isinstance(written, Marked):
                    raise UnknownPayment(f"payment {payment_id} is settled already")
                state = written.state
                await asyncio.sleep(random.uniform(0, CONTENTION_PAUSE_S))
        raise Unavailable("credit changed by other replicas on every try")

    async def _pay_free(
        self,
        client: str,
        session: PaymentSession,
        order: PayOrder,
        answer: Answer,
        spend: SpendChange | None,
    ) -> Answer:
        """A payment to an orchestrator that takes no tickets: no credit to keep. Made for an
        account, its fee is still counted, once: with a record, as a ticketed payment."""
        if spend is None:
            return answer  # nothing to keep or count: no Redis call
        record = PaymentRecord(
            client=client,
            session_id=session.id,
            recipient=session.offer.recipient,
            bucket=session.record.bucket,
            units=order.units,
            price=session.price,
            bought=Purchase(0, Fraction(0), session.price * order.units),
            fingerprint=order.fingerprint,
            answer=answer,
            account=order.account,
            free=True,
        )
        stored = await self._spend.record_marked(
            self._keys.payment(answer.payment_id),
            record.to_json(),
            self._policy.payment_ttl_s,
            spend,
        )
        if stored is not None:  # a retry another replica (or a lost answer) made first
            return _replayed(PaymentRecord.from_json(stored), order)
        self._remember(answer.payment_id, record)
        return answer

    async def _settle_free(self, payment_id: str, spend: SpendChange | None) -> Fraction:
        """Only a staged request moves anything here: its account's spend."""
        if spend is None:
            raise UnknownPayment(f"payment {payment_id} moved no credit: nothing to settle")
        marked = await self._spend.record_marked(
            self._keys.payment_settled(payment_id),
            Ending.STAGED.value,
            self._policy.payment_ttl_s,
            spend,
        )
        if marked is not None:
            raise UnknownPayment(f"payment {payment_id} is settled already")
        return Fraction(0)

    async def _refund(self, issued: list[Issued]) -> None:
        for batch in issued:
            await self._issuer.refund(batch)

    def _recent_record(self, payment_id: str) -> PaymentRecord | None:
        """The record this replica made, while the store keeps it too (its TTL)."""
        kept = self._recent.get(payment_id)
        if kept is None:
            return None
        record, until = kept
        if until <= self._clock():
            del self._recent[payment_id]
            return None
        return record

    def _remember(self, payment_id: str, record: PaymentRecord) -> None:
        self._recent[payment_id] = (record, self._clock() + self._policy.payment_ttl_s)
        while len(self._recent) > RECENT_PAYMENTS:
            self._recent.popitem(last=False)


def _payment_id(client: str, sid: str, idempotency_key: str) -> str:
    """32 hex digits naming (client, session, idempotency key): the retry finds the first."""
    digest = hashlib.sha256(f"{client}\0{sid}\0{idempotency_key}".encode())
    return digest.hexdigest()[:32]


def _taken_back(keys: Keys, record: PaymentRecord, ending: Ending) -> SpendChange | None:
    """A staged request never left: the fee its payment added to the account comes back out.
    (Spent or received, the request was sent: its fee stays counted.)"""
    if ending is not Ending.STAGED:
        return None
    change = spend_change(keys, record.account, record.bought.fee)
    return None if change is None else change.reverted()


def _replayed(record: PaymentRecord, order: PayOrder) -> Answer:
    if record.fingerprint != order.fingerprint:
        raise IdempotencyConflict("idempotency_key was already used with a different request")
    return record.answer
