"""`LivePaymentService`: the reference remote signer's `/generate-live-payment` (§11.3).

Stateless like the reference (balance, nonce, prices travel in the signed state blob), except
for nonces: they are also allocated through Redis, above the state's last nonce, so replicas,
restarts and a replayed old state never hand out a nonce twice. Tickets are made by the same
`TicketIssuer` as payment sessions' (budgets, nonces, signatures, audit); the auth webhook is
asked after that, and a refusal gives the budget charge back.
"""

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lpgw.pm import Price, stage_update
from lpgw.pm.chain import ChainView
from lpgw.signer.errors import InvalidRequest, NothingToPay
from lpgw.signer.keys.segments import Segment
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.live.request import LiveRequest
from lpgw.signer.live.rules import (
    billable_units,
    check_drift,
    live_ceilings,
    new_state,
    nonce_floor,
    restored_state,
)
from lpgw.signer.live.state import LiveState, encode_state
from lpgw.signer.live.webhook import AuthWebhook, WebhookFailed
from lpgw.signer.payments.audit import AuditContext
from lpgw.signer.payments.issuance import TicketIssuer
from lpgw.signer.payments.message import b64, payment_message
from lpgw.signer.policy.ceilings import Ceiling, check_ceiling
from lpgw.signer.policy.spend import PaymentPolicy, check_fresh, check_offer

ROUTE = "/generate-live-payment"
AUTH_ID_HEADER = "signer-auth-id"


@dataclass(frozen=True)
class LivePayment:
    payment: str
    seg_creds: str
    state: bytes
    sig: bytes


class LivePaymentService:
    def __init__(
        self,
        signing: SigningService,
        chain: ChainView,
        issuer: TicketIssuer,
        policy: PaymentPolicy,
        webhook: AuthWebhook | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signing = signing
        self._chain = chain
        self._issuer = issuer
        self._policy = policy
        self._webhook = webhook
        self._clock = clock

    def _state(self, request: LiveRequest, now: datetime) -> tuple[LiveState, bool]:
        address = "0x" + request.offer.info.address.hex()
        if request.state is None:
            return new_state(request, address, now), True
        if not self._signing.verify_state(request.state.state, request.state.sig):
            raise InvalidRequest("invalid sig")
        return restored_state(request, request.state.state, address), False

    async def generate(
        self, request: LiveRequest, headers: Mapping[str, list[str]], client: str
    ) -> LivePayment:
        offer, params, price = request.offer, request.offer.params, request.offer.price
        assert params is not None and price is not None  # parse_live_request guarantees both
        now_s = self._clock()
        now = datetime.fromtimestamp(now_s, UTC)
        state, first = self._state(request, now)
        manifest_id = request.manifest_id or secrets.token_hex(4)
        check_fresh(offer, self._chain.latest_l1_block(), now_s)
        units = billable_units(state, first, request.in_pixels, now)
        check_offer(
            offer,
            ceilings=live_ceilings(self._policy, request, state, first),
            chain=self._chain,
            sender=self._signing.address_bytes,
            limits=self._policy.limits,
        )
        check_drift(price, state.initial_price)
        fee = units * state.initial_price
        update = stage_update(state.balance, fee, params.ev)
        if update.num_tickets == 0:
            raise NothingToPay("no tickets")
        context = AuditContext(
            client=client,
            route=ROUTE,
            orchestrator=offer.transcoder,
            bucket=manifest_id,
            job=state.state_id,
        )
        issued = await self._issuer.issue(
            params, update.num_tickets, context=context, nonce_floor=nonce_floor(state, params)
        )
        try:
            seg_creds = self._signing.segment(
                manifest_id=manifest_id,
                segment=Segment.ai(),
                auth_token=offer.info.auth_token,
                capabilities=request.capabilities,
            )
            state = state.next(
                balance=update.existing + update.new_credit - fee,
                last_update=now,
                sender_nonce=issued.nonces[-1],
                pm_session_id=params.session_id,
            )
            state = await self._authorize(state, headers, price, now_s)
        except BaseException:
            await self._issuer.refund(issued)
            raise
        blob = encode_state(state)
        return LivePayment(
            payment=b64(payment_message(offer, self._signing.address_bytes, issued.tickets)),
            seg_creds=b64(seg_creds),
            state=blob,
            sig=self._signing.sign_state(blob),
        )

    async def _authorize(
        self, state: LiveState, headers: Mapping[str, list[str]], price: Price, now_s: float
    ) -> LiveState:
        """§11.5: ask the webhook when configured and the last answer has expired."""
        if self._webhook is None or state.auth_expiry > now_s:
            return state
        verdict = await self._webhook.check(headers, json.loads(encode_state(state)))
        lowered = {k.lower(): v for k, v in headers.items()}
        auth_id = verdict.auth_id or next(iter(lowered.get(AUTH_ID_HEADER, [])), "")
        if state.auth_id and auth_id and auth_id != state.auth_id:
            raise WebhookFailed("remote signer auth ID changed")
        if verdict.max_price is not None:
            check_ceiling(price, Ceiling(verdict.max_price, "auth webhook maxPrice"))
        return state.next(
            auth_expiry=verdict.expiry if verdict.expiry is not None else state.auth_expiry,
            auth_id=state.auth_id or auth_id,
        )
