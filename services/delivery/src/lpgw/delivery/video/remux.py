"""One track of an MPEG-TS segment as a DASH init segment and media segment (fragmented MP4),
by remuxing with PyAV: the coded frames are copied, never decoded or encoded.

Each rendition's video and the source's audio are remuxed separately (DASH adaptation sets of
one track each). The media is placed on the stream's timeline: its earliest presented video
frame starts at `start_ms`, and audio moves by the same amount relative to the video of its
file, so the two stay in sync. Blocking (a few milliseconds of CPU a segment): run it off the
event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import av
import av.error
from av.bitstream import BitStreamFilterContext
from av.packet import Packet
from av.stream import Stream
from lpgw.delivery.video import boxes
from lpgw.delivery.video.errors import RemuxFailed
from lpgw.video import adts

Track = Literal["video", "audio"]
MOVFLAGS = "empty_moov+default_base_moof+frag_custom"
"""An init segment with no samples, then one fragment holding the whole segment."""


@dataclass(frozen=True)
class Fragment:
    init: bytes
    media: bytes
    timescale: int

    @property
    def size(self) -> int:
        return len(self.init) + len(self.media)


def fragment(ts: bytes, track: Track, start_ms: int) -> Fragment:
    try:
        return _fragment(ts, track, start_ms)
    except (av.error.FFmpegError, boxes.MalformedMp4, adts.NotAdts) as exc:
        raise RemuxFailed(f"cannot remux the {track} of a segment: {exc}") from exc


def _fragment(ts: bytes, track: Track, start_ms: int) -> Fragment:
    with av.open(io.BytesIO(ts), "r", format="mpegts") as source:
        streams = source.streams.video if track == "video" else source.streams.audio
        if not streams:
            raise RemuxFailed(f"the segment has no {track} track")
        wanted = streams[0]
        if track == "audio" and wanted.codec_context.name not in ("aac", "mp3"):
            raise RemuxFailed(f"audio codec {wanted.codec_context.name} is not offered")
        video = source.streams.video[0] if source.streams.video else None
        selected = [s for s in (wanted, video) if s is not None]
        packets: list[Packet[Stream]] = []
        anchor: int | None = None
        for packet in source.demux(*dict.fromkeys(selected)):
            if packet.pts is None or packet.dts is None:
                continue
            if packet.stream is video:
                anchor = packet.pts if anchor is None else min(anchor, packet.pts)
            if packet.stream is wanted:
                packets.append(packet)
        if not packets:
            raise RemuxFailed(f"the segment has no {track} frames")
        time_base = wanted.time_base or Fraction(1, 90000)
        first_dts = packets[0].dts
        assert first_dts is not None
        lead = (first_dts - (first_dts if anchor is None else anchor)) * time_base
        data = _mux(wanted, packets)
    init, media = boxes.split(data)
    scale = boxes.timescale(init)
    delta = max(round((Fraction(start_ms, 1000) + lead) * scale), 0)
    return Fragment(init, boxes.shift_decode_time(media, delta), scale)


def _mux(stream: Stream, packets: list[Packet[Stream]]) -> bytes:
    out_buffer = io.BytesIO()
    with av.open(out_buffer, "w", format="mp4", options={"movflags": MOVFLAGS}) as output:
        target = output.add_stream_from_template(stream)
        bsf: BitStreamFilterContext | None = None
        if stream.codec_context.name == "aac":
            target.codec_context.extradata = adts.audio_specific_config(bytes(packets[0]))
            bsf = BitStreamFilterContext("aac_adtstoasc", stream)
        for packet in packets:
            for ready in bsf.filter(packet) if bsf else [packet]:
                ready.stream = target
                output.mux(ready)
        if bsf is not None:
            for ready in bsf.filter(None):
                ready.stream = target
                output.mux(ready)
    return out_buffer.getvalue()
