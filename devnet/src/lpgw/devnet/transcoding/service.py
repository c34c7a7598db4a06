"""The devnet's transcoding state for one run: sessions, the transcoder, injected failures.

Also what GetOrchestrator needs: whether a request is for transcoding (no AI capability in
it, or no capabilities at all), so a full devnet refuses transcoding and still serves AI.
"""

from dataclasses import dataclass

from lpgw.devnet.media_store import MediaStore
from lpgw.devnet.transcoding.engine import Transcoder
from lpgw.devnet.transcoding.failures import InjectedFailures
from lpgw.devnet.transcoding.sessions import TranscodingSessions
from lpgw.wire.capabilities import Capability, decode_bitstring
from lpgw.wire.net import lp_rpc_pb2 as pb

AI_CAPABILITIES = frozenset(c for c in Capability if c >= Capability.TEXT_TO_IMAGE)
"""Batch AI, live video-to-video and BYOC: requests naming one are not transcoding."""


def asks_for_transcoding(capabilities: pb.Capabilities | None) -> bool:
    if capabilities is None:
        return True
    named = (
        set(decode_bitstring(capabilities.bitstring))
        | set(capabilities.capacities)
        | set(capabilities.constraints.PerCapability)
    )
    return not named & AI_CAPABILITIES


@dataclass(frozen=True)
class TranscodingService:
    sessions: TranscodingSessions
    transcoder: Transcoder
    failures: InjectedFailures

    def capped(self, capabilities: pb.Capabilities | None) -> bool:
        """GetOrchestrator's capacity rule (wire.md §5.1 step 2), for transcoding requests."""
        return asks_for_transcoding(capabilities) and self.sessions.full()

    def end(self, session_id: str, media: MediaStore) -> None:
        """EndTranscodingSession: the session stops counting and its renditions are gone."""
        self.sessions.end(session_id)
        media.drop(session_id)

    def close(self) -> None:
        self.transcoder.close()
