"""`PaymentService`: one payment for one request to one orchestrator (our session API).

Order matters: all checks that need no shared state first (400/403/481), then the reversible
steps (take the credit, charge budgets), then the irreversible one (nonces), then signing and
the audit event. Any refusal or failure after the credit was taken puts back what was taken,
so a refused call leaves credit and budgets as they were; nonces are never given back (a gap
is harmless, a reuse is not). With an idempotency key the whole call is made once per key
(idempotency.py): a retry is answered with the stored payment.
"""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm import stage_update
from lpgw.pm.chain import ChainView
from lpgw.signer.audit import AuditContext, AuditSink, audit_event
from lpgw.signer.budget_store import BudgetStore
from lpgw.signer.ceilings import rat
from lpgw.signer.credit import Outcome, Pending, settlement
from lpgw.signer.credit_store import CreditStore
from lpgw.signer.errors import Unavailable, UnknownPayment
from lpgw.signer.idempotency import IdempotencyStore
from lpgw.signer.limits import Budget, budget_refusal, check_batch, spend_wei
from lpgw.signer.nonce_store import NonceAllocator
from lpgw.signer.payment_message import b64, payment_message
from lpgw.signer.payment_policy import PaymentPolicy, budgets_for, check_offer, refresh_needed
from lpgw.signer.payment_request import PaymentOrder
from lpgw.signer.signing import SigningService
from lpgw.state import Keys

ROUTE = "/v1/payments"


@dataclass(frozen=True)
class CreatedPayment:
    payment_id: str
    payment: str
    segment: str
    tickets: int
    ev: Fraction
    fee: Fraction
    credit: Fraction
    replayed: bool = False  # the stored answer to an earlier call with the same key

    def to_json(self) -> str:
        return json.dumps(
            {
                "payment_id": self.payment_id,
                "payment": self.payment,
                "segment": self.segment,
                "tickets": self.tickets,
                "ev": rat(self.ev),
                "fee": rat(self.fee),
                "credit": rat(self.credit),
            }
        )

    @classmethod
    def replay(cls, stored: str) -> "CreatedPayment":
        document = json.loads(stored)
        return cls(
            payment_id=document["payment_id"],
            payment=document["payment"],
            segment=document["segment"],
            tickets=int(document["tickets"]),
            ev=Fraction(document["ev"]),
            fee=Fraction(document["fee"]),
            credit=Fraction(document["credit"]),
            replayed=True,
        )


@dataclass(frozen=True)
class Stores:
    credit: CreditStore
    budgets: BudgetStore
    nonces: NonceAllocator
    audit: AuditSink
    idempotency: IdempotencyStore


class PaymentService:
    def __init__(
        self,
        signing: SigningService,
        chain: ChainView,
        stores: Stores,
        policy: PaymentPolicy,
        keys: Keys,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signing = signing
        self._chain = chain
        self._stores = stores
        self._policy = policy
        self._keys = keys
        self._clock = clock

    async def create(self, order: PaymentOrder, client: str) -> CreatedPayment:
        """The payment for `order`; with an idempotency key, the one already made for it."""
        if not order.idempotency_key:
            return await self._create(order, client)
        idempotency = self._stores.idempotency
        claim = await idempotency.claim(client, order.idempotency_key, order.fingerprint)
        if isinstance(claim, str):
            return CreatedPayment.replay(claim)
        try:
            created = await self._create(order, client)
        except BaseException:
            await idempotency.release(claim)
            raise
        await idempotency.finish(
            claim, order.fingerprint, created.to_json(), self._policy.pending_ttl_s
        )
        return created

    async def _create(self, order: PaymentOrder, client: str) -> CreatedPayment:
        offer = order.offer
        sender = self._signing.address_bytes
        check_offer(
            offer,
            ceilings=[self._policy.ceiling(order.pipeline, order.model_id)],
            chain=self._chain,
            sender=sender,
            limits=self._policy.limits,
        )
        if not self._stores.audit.available:
            raise Unavailable("audit stream unavailable")
        price = offer.price.value if offer.price is not None else Fraction(0)
        fee = price * order.units
        payment_id = uuid.uuid4().hex
        recipient = "0x" + offer.params.recipient.hex() if offer.params is not None else ""
        params = offer.params if offer.pays_with_tickets else None

        existing = Fraction(0)
        if params is not None:
            existing = await self._stores.credit.take(recipient, order.bucket)
        update = stage_update(existing, fee, params.ev if params is not None else Fraction(0))
        budgets: list[Budget] = []
        spend = 0
        try:
            nonces: range = range(0)
            if params is not None and update.num_tickets > 0:
                check_batch(params.ev, update.num_tickets, self._policy.limits)
                spend = spend_wei(params.ev, update.num_tickets)
                budgets = budgets_for(
                    self._policy,
                    self._keys,
                    client=client,
                    session=order.session,
                    now=self._clock(),
                )
                refused = await self._stores.budgets.charge(budgets, spend)
                if refused is not None:
                    budgets = []
                    raise budget_refusal(refused.budget, refused.spent_before, spend)
                allocation = await self._stores.nonces.allocate(
                    sender,
                    params.recipient_rand_hash,
                    update.num_tickets,
                    self._policy.nonce_refresh_at,
                )
                if not allocation.granted:
                    raise refresh_needed(
                        offer, allocation.last, update.num_tickets, self._policy.nonce_refresh_at
                    )
                nonces = allocation.nonces(update.num_tickets)
            tickets = self._signing.tickets(params, nonces) if params is not None else ()
            segment = self._signing.segment(
                manifest_id=order.bucket,
                segment=order.segment,
                auth_token=offer.info.auth_token,
                capabilities=order.capabilities,
            )
            pending = Pending(
                recipient=recipient,
                bucket=order.bucket,
                existing=update.existing,
                new_credit=update.new_credit,
                fee=fee,
                units=order.units,
                price=price,
                tracks_credit=params is not None,
                client=client,
                session=order.session,
                spend_wei=spend,
            )
            await self._stores.credit.save_pending(payment_id, pending, self._policy.pending_ttl_s)
            context = AuditContext(
                client=client,
                route=ROUTE,
                orchestrator=offer.transcoder,
                bucket=order.bucket,
                session=order.session,
            )
            event = audit_event(context, params, list(nonces), self._clock)
            try:
                await self._stores.audit.record(event, msg_id=payment_id)
            except Unavailable:
                await self._stores.credit.claim_pending(payment_id)
                raise
        except BaseException:
            await self._put_back(recipient, order.bucket, payment_id, existing, params is not None)
            await self._stores.budgets.refund(budgets, spend)
            raise
        return CreatedPayment(
            payment_id=payment_id,
            payment=b64(payment_message(offer, sender, tickets)),
            segment=b64(segment),
            tickets=len(tickets),
            ev=update.new_credit,
            fee=fee,
            credit=update.existing + update.new_credit - fee,
        )

    async def _put_back(
        self, recipient: str, bucket: str, payment_id: str, existing: Fraction, tracked: bool
    ) -> None:
        if tracked:
            await self._stores.credit.add(recipient, bucket, f"r:{payment_id}", existing)

    async def complete(
        self, payment_id: str, outcome: Outcome, debit_units: int | None
    ) -> Fraction:
        """Settle a pending update; returns the credit with that orchestrator bucket now."""
        pending = await self._stores.credit.claim_pending(payment_id)
        if pending is None:
            raise UnknownPayment(f"no pending payment {payment_id} (completed or expired)")
        if not pending.tracks_credit:
            return Fraction(0)
        amount = settlement(pending, outcome, debit_units)
        await self._stores.credit.add(pending.recipient, pending.bucket, payment_id, amount)
        return await self._stores.credit.balance(pending.recipient, pending.bucket)
