"""Paying for a stream's segments: one payment-signer call per segment, or nothing off-chain.

A transcoding payment session is opened per orchestrator answer (its auth token's session id
is the orchestrator's balance bucket, payments.md §8). Each segment is then one call: the
signer signs the segment credentials (manifest id, seq, hash, profile names) and, when our
credit runs short, tickets for the estimated fee: estimated pixels × 1.02 (the reference's
over-estimate). The profiles' other fields, the duration and the capabilities are not signed,
so they are filled in here. The orchestrator debits the pixels it really produced; the
difference is settled with the signer in the background, only when it is large enough to
matter (`SETTLE_DIFFERENCE`), so a usual segment costs the signer one call.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm.fees import TRANSCODE_ESTIMATE_MULTIPLIER, Profile, transcode_estimated_pixels
from lpgw.session.payments import Ending, PaymentSession
from lpgw.signer_client.sessions import SignedSegment, SignerSessions
from lpgw.video.profiles import VideoProfile
from lpgw.wire.headers import decode_segment, encode_payment, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.transcoding import profile_to_pb, transcode_segdata

PIPELINE = "transcoding"
MODEL = "default"
"""The signer's ceilings know transcoding as pipeline `transcoding`, any model."""
SETTLE_DIFFERENCE = Fraction(1, 20)
"""Settle a segment's real debit only when it differs from the estimate by more than 5 %."""


@dataclass(frozen=True)
class SegmentPayment:
    payment_id: str
    payment: str
    segment: str
    units: int
    """The estimate paid for."""


def estimated_units(profiles: Sequence[VideoProfile], duration_ms: int) -> int:
    """Σ w × h × ceil(fps) × ceil(seconds) × 1.02, rounded up (payments.md §8)."""
    pixels = transcode_estimated_pixels(
        (Profile(p.width, p.height, p.fps, p.fps_den) for p in profiles),
        Fraction(duration_ms, 1000),
    )
    return math.ceil(pixels * TRANSCODE_ESTIMATE_MULTIPLIER)


def needs_settling(units: int, debit_units: int) -> bool:
    return units > 0 and abs(units - debit_units) > units * SETTLE_DIFFERENCE


class VideoPayments:
    def __init__(self, sessions: SignerSessions | None) -> None:
        self._sessions = sessions

    async def open(
        self, info: pb.OrchestratorInfo, capabilities: pb.Capabilities
    ) -> PaymentSession:
        if self._sessions is None:
            return PaymentSession(info, PIPELINE, MODEL)
        opened = await self._sessions.open(
            info.SerializeToString(),
            pipeline=PIPELINE,
            model_id=MODEL,
            bucket=info.auth_token.session_id,
            capabilities=capabilities.SerializeToString(),
        )
        return PaymentSession(info, PIPELINE, MODEL, opened)

    async def pay(
        self,
        session: PaymentSession,
        *,
        stream_id: str,
        seq: int,
        data_hash: bytes,
        profiles: Sequence[VideoProfile],
        duration_ms: int,
        capabilities: pb.Capabilities,
        key: str,
    ) -> SegmentPayment:
        units = estimated_units(profiles, duration_ms)
        if self._sessions is None or session.signer is None:
            seg = transcode_segdata(
                session.info.auth_token.session_id,
                seq,
                data_hash,
                profiles,
                duration_ms,
                session.info.auth_token,
                capabilities,
                None,
            )
            return SegmentPayment("", encode_payment(None), encode_segment(seg), units)
        paid = await self._sessions.pay(
            session.signer.session_id,
            units=units,
            idempotency_key=key,
            job=stream_id,
            segment=SignedSegment(seq, data_hash, tuple(p.name for p in profiles)),
        )
        seg = decode_segment(paid.segment)
        del seg.fullProfiles3[:]
        seg.fullProfiles3.extend(profile_to_pb(p) for p in profiles)
        seg.duration = duration_ms
        return SegmentPayment(paid.payment_id, paid.payment, encode_segment(seg), units)

    async def settle(self, paid: SegmentPayment, ending: Ending | None, debit_units: int) -> None:
        """`ending` None: the segment was transcoded and `debit_units` pixels produced."""
        if self._sessions is None or not paid.payment_id:
            return
        if ending is not None:
            await self._sessions.settle(paid.payment_id, ending.value)
        elif needs_settling(paid.units, debit_units):
            await self._sessions.settle(paid.payment_id, "received", debit_units)
