"""The records of live streams and of their delivered segments, as stored in Redis.

Intake writes a stream's record when the first segment arrives; the session worker that owns
the stream writes one `SegmentRecord` per segment once its renditions are stored; delivery
reads both to write playlists. Any replica of any service reads the same records.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

StreamState = Literal["live", "ended"]
IngestKind = Literal["rtmp", "http"]


class Rendition(BaseModel):
    """One file of a segment: the source or one profile's output."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    key: str
    """Blob key in the video media space."""
    size: int
    width: int = 0
    height: int = 0
    bandwidth: int = 0
    """Measured bits per second: size × 8 / duration."""
    codecs: str = ""
    """RFC 6381 codecs of the file (`avc1.64001f,mp4a.40.2`), empty when unknown."""
    content_type: str = "video/mp2t"


class SegmentRecord(BaseModel):
    """A segment as delivered. `transcoded` false means no orchestrator produced it: the source
    alone is in the playlists and the stream's status counts a gap."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    stream_id: str
    seq: int
    duration_ms: int
    discontinuity: bool = False
    renditions: list[Rendition]
    transcoded: bool = True
    orchestrator: str | None = None
    error: str | None = None
    received_at: float
    delivered_at: float

    def rendition(self, name: str) -> Rendition | None:
        return next((r for r in self.renditions if r.name == name), None)


class StreamRecord(BaseModel):
    """One stream's record and counters, as `GET /streams/{id}` shows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    stream_id: str
    kind: IngestKind
    state: StreamState
    profiles: list[dict[str, Any]]
    """JSON profiles (lpgw.video.profiles.to_json), in rendition order."""
    created_at: float
    ended_at: float | None = None
    end_reason: str | None = None
    segments_in: int = 0
    segments_out: int = 0
    gaps: int = 0
    """Segments delivered as source only (no orchestrator produced them)."""
    discontinuities: int = 0
    spend_wei: int = 0
    orchestrator: str | None = None
    worker: str | None = None
    last_input_at: float | None = None
    last_delivered_at: float | None = None
    last_seq: int = Field(default=-1, description="highest sequence number taken by intake")
