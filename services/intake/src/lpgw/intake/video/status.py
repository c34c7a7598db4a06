"""A stream's status as the streams API shows it: its record plus where to watch it."""

from typing import Any

from lpgw.video.records import IngestKind, StreamRecord, StreamState
from pydantic import BaseModel, Field


class PlaybackUrls(BaseModel):
    hls: str = Field(description="Live HLS master playlist.")
    dash: str = Field(description="Live DASH manifest.")
    recording: str = Field(description="HLS playlist of every retained segment.")


class StreamStatus(BaseModel):
    stream_id: str
    kind: IngestKind = Field(description="`rtmp` or `http` (push).")
    state: StreamState = Field(
        description="`live` until the session has processed the stream's end."
    )
    profiles: list[dict[str, Any]] = Field(description="Renditions, as JSON profiles.")
    orchestrator: str | None = Field(description="Orchestrator of the last transcoded segment.")
    worker: str | None = Field(description="Session worker that last claimed the stream.")
    segments_in: int = Field(description="Segments intake took.")
    segments_out: int = Field(description="Segments delivered (transcoded or source only).")
    gaps: int = Field(description="Segments delivered as source only: no orchestrator made them.")
    discontinuities: int = Field(description="Publisher reconnections and restarts.")
    spend_wei: int = Field(description="Paid to orchestrators for this stream (expected value).")
    last_seq: int = Field(description="Highest sequence number taken; -1 before the first.")
    created_at: float
    last_input_at: float | None
    last_delivered_at: float | None
    ended_at: float | None
    end_reason: str | None
    playback: PlaybackUrls


class StreamList(BaseModel):
    streams: list[StreamStatus]


def playback_urls(stream_id: str, media_base_url: str) -> PlaybackUrls:
    base = media_base_url.rstrip("/")
    return PlaybackUrls(
        hls=f"{base}/stream/{stream_id}.m3u8",
        dash=f"{base}/stream/{stream_id}.mpd",
        recording=f"{base}/recordings/{stream_id}/index.m3u8",
    )


def stream_status(record: StreamRecord, media_base_url: str) -> StreamStatus:
    return StreamStatus(
        stream_id=record.stream_id,
        kind=record.kind,
        state=record.state,
        profiles=record.profiles,
        orchestrator=record.orchestrator,
        worker=record.worker,
        segments_in=record.segments_in,
        segments_out=record.segments_out,
        gaps=record.gaps,
        discontinuities=record.discontinuities,
        spend_wei=record.spend_wei,
        last_seq=record.last_seq,
        created_at=record.created_at,
        last_input_at=record.last_input_at,
        last_delivered_at=record.last_delivered_at,
        ended_at=record.ended_at,
        end_reason=record.end_reason,
        playback=playback_urls(record.stream_id, media_base_url),
    )
