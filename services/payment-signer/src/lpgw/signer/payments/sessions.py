"""Payment sessions: one orchestrator offer, checked once, paid against many times.

A session is what one client opened for one OrchestratorInfo (ticket params, price, auth
token), capability and balance bucket. Its id is derived from exactly those, so opening the
same offer twice (two session workers, a restart) gives the same session. What is derived from
the offer is computed once, when the session is opened or first met by a replica: the decoded
params and price, the segment credentials of AI requests (sequence 0, the same for every
request of the session) and the Payment a request carries when it needs no new ticket.

A session lives as long as the offer's auth token. An offer without one (what a gateway builds
from a BYOC JobToken: ticket params, price and service address, no auth token) lives
MAX_SESSION_TTL_S from its opening; its ticket params expire long before (40 blocks, 8 min),
and each payment refuses expired params with 480, so the caller reopens with fresh ones.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from lpgw.signer.keys.segments import Segment
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.payments.message import b64, payment_message
from lpgw.signer.policy.offer import Offer, decode_offer
from lpgw.signer.stores.sessions import SessionRecord, SessionStore
from lpgw.wire.net import lp_rpc_pb2 as pb

KEPT_SESSIONS = 10_000
"""Sessions a replica keeps decoded in memory (each lives ≤ 30 min, one per orchestrator and
refresh of its params)."""
MAX_SESSION_TTL_S = 3600
"""Auth tokens live 30 min; a session is never kept longer than this, whatever its token says,
and one without an auth token lives exactly this long."""


@dataclass(frozen=True)
class PaymentSession:
    record: SessionRecord
    offer: Offer
    capabilities: pb.Capabilities | None
    ai_segment: str
    """base64 signed SegData of an AI request (sequence 0, keccak256 of nothing)."""
    no_tickets: str
    """base64 Payment{sender, expected_price}: what a request carries without new tickets."""

    @property
    def id(self) -> str:
        return self.record.session_id

    @property
    def expires_at(self) -> float:
        if self.record.expires_at is not None:
            return self.record.expires_at
        return float(self.offer.info.auth_token.expiration)  # stored by an older replica

    @property
    def price(self) -> Fraction:
        price = self.offer.price
        return price.value if price is not None else Fraction(0)

    def segment(self, signing: SigningService, segment: Segment | None) -> str:
        """The segment credentials of one request: the session's for AI, signed anew for a
        transcoding segment."""
        if segment is None:
            return self.ai_segment
        return b64(
            signing.segment(
                manifest_id=self.record.bucket,
                segment=segment,
                auth_token=self.offer.info.auth_token,
                capabilities=self.capabilities,
            )
        )


def session_expiry(info: pb.OrchestratorInfo, now: float) -> float:
    """When a session opened `now` on this offer ends: its auth token's expiration, or
    MAX_SESSION_TTL_S from now for an offer without an auth token."""
    if info.HasField("auth_token"):
        return float(info.auth_token.expiration)
    return now + MAX_SESSION_TTL_S


def session_id(client: str, info: bytes, capabilities: bytes, names: tuple[str, ...]) -> str:
    """32 hex digits naming (client, offer, capabilities, pipeline, model, bucket)."""
    digest = hashlib.sha256()
    for part in (client.encode(), info, capabilities, *(n.encode() for n in names)):
        digest.update(len(part).to_bytes(4, "big") + part)
    return digest.hexdigest()[:32]


def build_session(record: SessionRecord, signing: SigningService) -> PaymentSession:
    """Everything derived from a session's record (the offer is decoded and signed for here)."""
    offer = decode_offer(record.info)
    capabilities = pb.Capabilities.FromString(record.capabilities) if record.capabilities else None
    segment = signing.segment(
        manifest_id=record.bucket,
        segment=Segment.ai(),
        auth_token=offer.info.auth_token,
        capabilities=capabilities,
    )
    return PaymentSession(
        record=record,
        offer=offer,
        capabilities=capabilities,
        ai_segment=b64(segment),
        no_tickets=b64(payment_message(offer, signing.address_bytes, ())),
    )


class SessionCache:
    """Sessions this replica knows, decoded; others are loaded from the store once."""

    def __init__(
        self,
        store: SessionStore,
        signing: SigningService,
        clock: Callable[[], float],
        kept: int = KEPT_SESSIONS,
    ) -> None:
        self._store = store
        self._signing = signing
        self._clock = clock
        self._kept = kept
        self._sessions: OrderedDict[str, PaymentSession] = OrderedDict()

    async def find(self, session_id: str) -> PaymentSession | None:
        """The live session, or None when unknown or expired."""
        session = self._sessions.get(session_id)
        if session is None:
            record = await self._store.load(session_id)
            if record is None:
                return None
            session = self.keep(build_session(record, self._signing))
        if session.expires_at <= self._clock():
            self._sessions.pop(session_id, None)
            return None
        self._sessions.move_to_end(session_id)
        return session

    def known(self, session_id: str) -> PaymentSession | None:
        return self._sessions.get(session_id)

    def keep(self, session: PaymentSession) -> PaymentSession:
        self._sessions[session.id] = session
        while len(self._sessions) > self._kept:
            self._sessions.popitem(last=False)
        return session
