"""DASH over fMP4 remuxed from the same MPEG-TS renditions (no re-encode).

| path | answer |
|---|---|
| `/stream/{stream}.mpd` | the manifest: dynamic while live (the HLS window), static once ended |
| `/stream/{stream}/{rendition}/init.mp4` | video init segment of a rendition |
| `/stream/{stream}/{rendition}/{time}.m4s` | video of the segment starting at `time` ms |
| `/stream/{stream}/{rendition}/audio-init.mp4` | audio init segment (the MPD uses `source`) |
| `/stream/{stream}/{rendition}/audio-{time}.m4s` | audio of the segment starting at `time` ms |

Segments are named by their timeline time (`$Time$`), not their seq: a rendition that lacks a
segment leaves a hole in its own timeline, and `$Number$` would then count wrong.
"""

import time
from typing import Literal

from lpgw.delivery.routes.playback import (
    DASH,
    ENDED,
    INIT,
    LIVE,
    Playback,
    answers,
    file,
    playback,
    rendition,
    stream_id,
    text,
)
from lpgw.delivery.video.catalog import Stream
from lpgw.delivery.video.errors import SegmentNotFound
from lpgw.delivery.video.fragments import FragmentKey
from lpgw.delivery.video.hls import WINDOW
from lpgw.delivery.video.lineup import lineup
from lpgw.delivery.video.mpd import manifest
from lpgw.delivery.video.remux import Fragment, Track
from lpgw.delivery.video.timeline import Entry
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MEDIA_TYPES = {"video": "video/mp4", "audio": "audio/mp4"}


@answers
async def mpd(request: Request) -> Response:
    parts = playback(request)
    stream = await parts.catalog.stream(stream_id(request))
    if stream.ended:
        shown = await parts.catalog.full(stream)
    else:
        shown = (await parts.catalog.recent(stream, WINDOW)).tail(WINDOW)
    variants = lineup(stream.ladder, [e.record for e in shown.entries])
    body = manifest(stream.stream_id, shown, variants, live=not stream.ended, now=time.time())
    return text(request, body, DASH, ENDED if stream.ended else LIVE)


async def _init(request: Request, track: Track) -> Response:
    parts = playback(request)
    stream = await parts.catalog.stream(stream_id(request))
    name = rendition(request)
    stream.check(name)
    recent = await parts.catalog.recent(stream, WINDOW)
    entry = next((e for e in reversed(recent.entries) if e.record.rendition(name)), None)
    if entry is None:
        raise SegmentNotFound(f"of {stream.stream_id}/{name} yet")
    made = await _fragment(parts, stream, name, track, entry)
    return file(request, made.init, MEDIA_TYPES[track], INIT)


async def _media(request: Request, track: Track) -> Response:
    parts = playback(request)
    stream = await parts.catalog.stream(stream_id(request))
    name = rendition(request)
    stream.check(name)
    start_ms: int = request.path_params["time"]
    entry = (await parts.catalog.recent(stream, WINDOW)).entry_at(start_ms)
    if entry is None:
        entry = (await parts.catalog.full(stream)).entry_at(start_ms)
    if entry is None or entry.record.rendition(name) is None:
        raise SegmentNotFound(f"of {stream.stream_id}/{name} at {start_ms} ms")
    made = await _fragment(parts, stream, name, track, entry)
    return file(request, made.media, MEDIA_TYPES[track], parts.immutable)


async def _fragment(
    parts: Playback, stream: Stream, name: str, track: Literal["video", "audio"], entry: Entry
) -> Fragment:
    key = FragmentKey(stream.stream_id, name, track, entry.seq, entry.start_ms)

    async def load() -> bytes:
        data, _ = await parts.store.get(f"{stream.stream_id}/{name}/{entry.seq}.ts")
        return data

    return await parts.fragments.get(key, load)


@answers
async def video_init(request: Request) -> Response:
    return await _init(request, "video")


@answers
async def audio_init(request: Request) -> Response:
    return await _init(request, "audio")


@answers
async def video_media(request: Request) -> Response:
    return await _media(request, "video")


@answers
async def audio_media(request: Request) -> Response:
    return await _media(request, "audio")


routes = [
    Route("/stream/{stream}.mpd", mpd, methods=["GET"]),
    Route("/stream/{stream}/{rendition}/init.mp4", video_init, methods=["GET"]),
    Route("/stream/{stream}/{rendition}/audio-init.mp4", audio_init, methods=["GET"]),
    Route("/stream/{stream}/{rendition}/audio-{time:int}.m4s", audio_media, methods=["GET"]),
    Route("/stream/{stream}/{rendition}/{time:int}.m4s", video_media, methods=["GET"]),
]
