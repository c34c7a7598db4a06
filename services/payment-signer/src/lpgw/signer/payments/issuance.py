"""Making tickets: the one path every route that pays goes through.

check → budget → nonces → sign → audit, in that order: the checks change nothing; the budget
charge can be taken back; nonces cannot (a gap is harmless, a reuse is not), so they come
after everything that may still refuse; signing needs the nonces; the audit event is stored
before any signature may leave. A failure after the budget was charged gives it back. The
caller gives the charge back too (`refund`) if it fails later, before the tickets leave.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from lpgw.pm import TicketParams, TicketSenderParams
from lpgw.signer.errors import Unavailable
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.payments.audit import AuditContext, AuditSink, audit_event
from lpgw.signer.policy.limits import Budget, budget_refusal, check_batch, spend_wei
from lpgw.signer.policy.spend import PaymentPolicy, budgets_for, refresh_needed
from lpgw.signer.stores.budgets import BudgetStore
from lpgw.signer.stores.nonces import NonceBlocks, NonceStore, Reservation
from lpgw.state import Keys


@dataclass(frozen=True)
class Issued:
    """Signed tickets and the budget charge they made."""

    tickets: tuple[TicketSenderParams, ...]
    nonces: range
    charged: tuple[Budget, ...] = ()
    spend_wei: int = 0


NOTHING = Issued(tickets=(), nonces=range(0))


class TicketIssuer:
    def __init__(
        self,
        signing: SigningService,
        *,
        budgets: BudgetStore,
        nonces: NonceStore,
        audit: AuditSink,
        policy: PaymentPolicy,
        keys: Keys,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signing = signing
        self._budgets = budgets
        self._nonces = nonces
        self._blocks = NonceBlocks(nonces)
        self._audit = audit
        self._policy = policy
        self._keys = keys
        self._clock = clock

    async def issue(
        self,
        params: TicketParams,
        count: int,
        *,
        context: AuditContext,
        nonce_floor: int | None = None,
    ) -> Issued:
        """`count` tickets under `params`. Payment sessions take nonces from this replica's
        block; the remote-signer API gives `nonce_floor` (its state's last nonce) and gets
        exactly the nonces above it from Redis."""
        if count == 0:
            return NOTHING
        check_batch(params.ev, count, self._policy.limits)
        if not self._audit.available:
            raise Unavailable("audit stream unavailable")
        spend = spend_wei(params.ev, count)
        budgets = budgets_for(
            self._policy, self._keys, client=context.client, job=context.job, now=self._clock()
        )
        refused = await self._budgets.charge(budgets, spend)
        if refused is not None:
            raise budget_refusal(refused.budget, refused.spent_before, spend)
        charged = Issued(tickets=(), nonces=range(0), charged=tuple(budgets), spend_wei=spend)
        try:
            reservation = await self._reserve(params, count, nonce_floor)
            if not reservation.granted:
                limit = self._policy.nonce_refresh_at
                raise refresh_needed(context.orchestrator, reservation.last, count, limit)
            tickets = self._signing.tickets(params, reservation.nonces)
            event = audit_event(context, params, list(reservation.nonces), self._clock)
            await self._audit.record(event, msg_id=uuid.uuid4().hex)
        except BaseException:
            await self.refund(charged)
            raise
        return Issued(tickets, reservation.nonces, charged.charged, spend)

    async def refund(self, issued: Issued) -> None:
        """Give back the budget charge of tickets that will not leave after all."""
        await self._budgets.refund(issued.charged, issued.spend_wei)

    async def _reserve(self, params: TicketParams, count: int, floor: int | None) -> Reservation:
        sender, limit = self._signing.address_bytes, self._policy.nonce_refresh_at
        if floor is None:
            return await self._blocks.take(sender, params.recipient_rand_hash, count, limit)
        return await self._nonces.reserve(
            sender, params.recipient_rand_hash, want=count, need=count, limit=limit, floor=floor
        )
