"""HLS at the reference's URLs: live playlists over a sliding window, recordings of every
retained segment, and the MPEG-TS files themselves (gateway-behaviour.md §8).

| path | answer |
|---|---|
| `/stream/{stream}.m3u8` | master playlist |
| `/stream/{stream}/{rendition}.m3u8` | live media playlist (last 6 segments) |
| `/stream/{stream}/{rendition}/{seq}.ts` | a segment |
| `/recordings/{stream}/index.m3u8` | recording master playlist |
| `/recordings/{stream}/{rendition}.m3u8` | every retained segment (EVENT, VOD once ended) |
| `/recordings/{stream}/{rendition}/{seq}.ts` | a segment (the same file) |
"""

from lpgw.delivery.routes.playback import (
    ENDED,
    HLS,
    LIVE,
    MPEG_TS,
    answers,
    file,
    playback,
    rendition,
    stream_id,
    text,
)
from lpgw.delivery.video.hls import WINDOW, Kind, master_playlist, media_playlist
from lpgw.delivery.video.lineup import lineup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@answers
async def live_master(request: Request) -> Response:
    parts = playback(request)
    stream = await parts.catalog.stream(stream_id(request))
    window = (await parts.catalog.recent(stream, WINDOW)).tail(WINDOW)
    variants = lineup(stream.ladder, [e.record for e in window.entries])
    body = master_playlist(variants, f"{stream.stream_id}/")
    return text(request, body, HLS, ENDED if stream.ended else LIVE)


@answers
async def live_media(request: Request) -> Response:
    parts = playback(request)
    stream = await parts.catalog.stream(stream_id(request))
    name = rendition(request)
    stream.check(name)
    window = (await parts.catalog.recent(stream, WINDOW)).tail(WINDOW)
    body = media_playlist(window, name, Kind.LIVE, ended=stream.ended)
    return text(request, body, HLS, ENDED if stream.ended else LIVE)


@answers
async def recording_master(request: Request) -> Response:
    parts = playback(request)
    stream = await parts.catalog.stream(stream_id(request))
    everything = await parts.catalog.full(stream)
    variants = lineup(stream.ladder, [e.record for e in everything.entries])
    return text(request, master_playlist(variants, ""), HLS, ENDED if stream.ended else LIVE)


@answers
async def recording_media(request: Request) -> Response:
    parts = playback(request)
    stream = await parts.catalog.stream(stream_id(request))
    name = rendition(request)
    stream.check(name)
    everything = await parts.catalog.full(stream)
    kind = Kind.VOD if stream.ended else Kind.EVENT
    body = media_playlist(everything, name, kind, ended=stream.ended)
    return text(request, body, HLS, ENDED if stream.ended else LIVE)


@answers
async def segment(request: Request) -> Response:
    """Straight from the video media store: no stream record is read."""
    parts = playback(request)
    key = f"{stream_id(request)}/{rendition(request)}/{request.path_params['seq']}.ts"
    data, _ = await parts.store.get(key)
    return file(request, data, MPEG_TS, parts.immutable)


routes = [
    Route("/stream/{stream}.m3u8", live_master, methods=["GET"]),
    Route("/stream/{stream}/{rendition}.m3u8", live_media, methods=["GET"]),
    Route("/stream/{stream}/{rendition}/{seq:int}.ts", segment, methods=["GET"]),
    Route("/recordings/{stream}/index.m3u8", recording_master, methods=["GET"]),
    Route("/recordings/{stream}/{rendition}.m3u8", recording_media, methods=["GET"]),
    Route("/recordings/{stream}/{rendition}/{seq:int}.ts", segment, methods=["GET"]),
]
