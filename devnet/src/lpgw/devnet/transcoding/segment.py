"""`POST /segment` on the orchestrator, in the reference's order (wire.md §7.3).

1 payment → 402; 2 segment credentials → 403: decode, profiles (`fullProfiles3`, then 2,
then 1), duration 0…300 000 ms (0 means 2000), signature, capabilities, auth token, then
transcoding capacity (`OrchestratorCapped`); 3 the refreshed OrchestratorInfo (failure → 500);
4 the payment into bucket (sender, auth_token.session_id) → 400, 5 balance below one ticket
EV at a non-zero price → 400 `Insufficient balance`; 6 the body → 400 `BadRequest`;
7 keccak256(body) ≠ SegData.hash → 403 `Forbidden`. Then 200, and everything after is
reported in the TranscodeResult: the injected latency, an injected or real failure as
`error`, else the renditions stored under the session, Σ pixels × price debited, and
TranscodeData signed by the orchestrator when payments are on. Steps 4, 5 and the debit
happen only when payments are on.
"""

import asyncio
import logging
from dataclasses import dataclass

from lpgw.devnet.credentials import verify_credentials
from lpgw.devnet.errors import InjectedFailure, InternalError
from lpgw.devnet.node import Node
from lpgw.devnet.orchestrator_info import orchestrator_info, quote
from lpgw.devnet.payments import Charge
from lpgw.devnet.transcoding.body import SegmentBody
from lpgw.devnet.transcoding.errors import InvalidDuration, SegmentHashMismatch, TranscodeFailed
from lpgw.devnet.transcoding.renditions import rendition_file, rendition_url, transcode_data
from lpgw.eth import keccak256
from lpgw.pm import PmError
from lpgw.video.profiles import VideoProfile
from lpgw.wire.headers import decode_payment, decode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.transcoding import profile_from_pb

MAX_DURATION_MS = 300_000
DEFAULT_DURATION_MS = 2000

log = logging.getLogger(__name__)


def segment_profiles(segment: pb.SegData) -> list[VideoProfile]:
    """The first non-empty of fullProfiles3, 2, 1; raises lpgw.wire's UnsupportedProfile."""
    for profiles in (segment.fullProfiles3, segment.fullProfiles2, segment.fullProfiles):
        if profiles:
            return [profile_from_pb(profile) for profile in profiles]
    return []


def segment_duration_ms(segment: pb.SegData) -> int:
    if not 0 <= segment.duration <= MAX_DURATION_MS:
        raise InvalidDuration()
    return segment.duration or DEFAULT_DURATION_MS


@dataclass(frozen=True)
class SegmentHeaders:
    segment: str
    payment: str


@dataclass(frozen=True)
class AdmittedSegment:
    """A segment past every check that answers with a status other than 200."""

    segment: pb.SegData
    profiles: list[VideoProfile]
    duration_ms: int
    info: pb.OrchestratorInfo
    charge: Charge | None
    data: bytes
    fails: bool
    """An injected failure struck and is to be reported inside the TranscodeResult."""

    @property
    def session_id(self) -> str:
        return self.segment.auth_token.session_id


class Segments:
    def __init__(self, node: Node) -> None:
        self._node = node

    def check_credentials(
        self, segment_header: str, payment: pb.Payment
    ) -> tuple[pb.SegData, list[VideoProfile], int]:
        """Step 2; admitting the session counts it against `--max-sessions`."""
        segment = decode_segment(segment_header)
        profiles = segment_profiles(segment)
        duration_ms = segment_duration_ms(segment)
        verify_credentials(self._node, segment, payment)
        self._node.transcoding.sessions.admit(segment.auth_token.session_id)
        return segment, profiles, duration_ms

    async def admit(self, headers: SegmentHeaders, body: SegmentBody) -> AdmittedSegment:
        """Steps 1–7, and an injected failure of the HTTP kind; raises the refusal."""
        node = self._node
        payment = decode_payment(headers.payment)
        segment, profiles, duration_ms = self.check_credentials(headers.segment, payment)
        bucket = segment.auth_token.session_id
        capabilities = segment.capabilities if segment.HasField("capabilities") else None
        price = quote(node, capabilities)
        if node.payments is not None:
            price = node.payments.price_for(payment.sender, bucket, price)
        try:
            info = orchestrator_info(
                node,
                sender=payment.sender,
                capabilities=capabilities,
                auth_token=segment.auth_token,
                price=price,
            )
        except PmError as exc:
            raise InternalError() from exc
        charge = None
        if node.payments is not None:
            charge = await node.payments.receive(payment, bucket, price)
        data = await body.read()
        if await asyncio.to_thread(keccak256, data) != segment.hash:  # 7 ms per MB
            raise SegmentHashMismatch()
        fails = node.faults.strikes()
        if fails and node.transcoding.failures.next_is_http():
            raise InjectedFailure()
        return AdmittedSegment(segment, profiles, duration_ms, info, charge, data, fails)

    async def transcode(self, admitted: AdmittedSegment) -> pb.TranscodeResult:
        """Steps 8–9, after the 200: failures become `TranscodeResult.error`."""
        node = self._node
        seq = admitted.segment.seq
        session_id = admitted.session_id
        result = pb.TranscodeResult(seq=seq, info=admitted.info)
        await node.faults.delay()
        if admitted.fails:
            result.error = str(InjectedFailure())
            return result
        try:
            renditions = await node.transcoding.transcoder.run(admitted.data, admitted.profiles)
        except TranscodeFailed as exc:
            log.info("segment_failed", extra={"session": session_id, "seq": seq, "error": str(exc)})
            result.error = str(exc)
            return result
        finally:
            node.transcoding.sessions.touch(session_id)
        for rendition in renditions:
            file = rendition_file(rendition.profile, seq)
            node.media.put(session_id, file, rendition.data, rendition.content_type)
        pixels = sum(rendition.pixels for rendition in renditions)
        if node.payments is not None and admitted.charge is not None:
            await node.payments.debit(admitted.charge, pixels)
        urls = [rendition_url(node.service_uri, session_id, r.profile, seq) for r in renditions]
        signer = node.key if node.payments is not None else None
        data = await asyncio.to_thread(transcode_data, renditions, urls, signer)  # hashes them
        result.data.SetInParent()
        result.data.CopyFrom(data)
        log.info(
            "segment_transcoded",
            extra={
                "session": session_id,
                "seq": seq,
                "duration_ms": admitted.duration_ms,
                "mode": node.transcoding.transcoder.mode,
                "renditions": len(renditions),
                "pixels": pixels,
            },
        )
        return result
