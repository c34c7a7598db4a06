"""A stream's records, read from Redis and folded into timelines for playlists.

A live playlist needs its window (6 segments) and the mark of everything before it. Each
replica keeps the last mark it computed per stream; the next request reads the window plus a
lookback of older records from Redis, finds that mark's record among them and folds forward
from it. Only when the mark is missing or too old (nobody watched for a while, the replica
just started) are all of the stream's records read once. A complete timeline (recordings, the
static MPD of an ended stream) is cached while the stream's `segments_out` count is unchanged.
"""

from collections import OrderedDict

from lpgw.delivery.video.errors import RenditionNotFound, StreamNotFound
from lpgw.delivery.video.lineup import profiles, rendition_names
from lpgw.delivery.video.timeline import Mark, Timeline, timeline
from lpgw.video.profiles import VideoProfile
from lpgw.video.records import StreamRecord
from lpgw.video.streams import VideoStreams

LOOKBACK = 24
"""Older records read with every window: a mark that fell fewer segments behind is reused."""
MARKS = 4096
FULL_TIMELINES = 8


class Stream:
    """One stream's record and its renditions, as loaded for one request."""

    def __init__(self, record: StreamRecord) -> None:
        self.record = record
        self.ladder: list[VideoProfile] = profiles(record.profiles)
        self.renditions = rendition_names(self.ladder)

    @property
    def stream_id(self) -> str:
        return self.record.stream_id

    @property
    def ended(self) -> bool:
        return self.record.state == "ended"

    def check(self, rendition: str) -> None:
        if rendition not in self.renditions:
            raise RenditionNotFound(self.stream_id, rendition)


class Catalog:
    def __init__(self, streams: VideoStreams, lookback: int = LOOKBACK) -> None:
        self._streams = streams
        self._lookback = lookback
        self._marks: OrderedDict[tuple[str, tuple[str, ...]], Mark] = OrderedDict()
        self._full: OrderedDict[tuple[str, tuple[str, ...]], tuple[int, Timeline]] = OrderedDict()

    async def stream(self, stream_id: str) -> Stream:
        record = await self._streams.get(stream_id)
        if record is None:
            raise StreamNotFound(stream_id)
        return Stream(record)

    async def recent(self, stream: Stream, size: int) -> Timeline:
        """At least the last `size` segments (and up to the lookback before them), after
        the mark of everything older."""
        key = (stream.stream_id, stream.renditions)
        records = await self._streams.window(stream.stream_id, size + self._lookback)
        mark = self._marks.get(key)
        start = None
        if mark is not None and mark.last is not None:
            start = next((i for i, r in enumerate(records) if r.seq == mark.last.seq), None)
            if start is not None and records[start] != mark.last:
                start = None  # the stream was replaced since: recompute
            elif start is not None and len(records) - start - 1 < size:
                start = None  # a concurrent request got further: its mark is past our window
        if start is not None and mark is not None:
            found = timeline(mark, records[start + 1 :], stream.renditions)
        elif len(records) < size + self._lookback:
            found = timeline(Mark(), records, stream.renditions)  # that is every record
        else:
            found = await self.full(stream)
        self._remember(key, found.tail(size).before)
        return found

    async def full(self, stream: Stream) -> Timeline:
        """Every retained segment, from the first."""
        key = (stream.stream_id, stream.renditions)
        version = stream.record.segments_out
        cached = self._full.get(key)
        if cached is not None and cached[0] == version:
            self._full.move_to_end(key)
            return cached[1]
        records = await self._streams.segments(stream.stream_id)
        found = timeline(Mark(), records, stream.renditions)
        self._full[key] = (version, found)
        while len(self._full) > FULL_TIMELINES:
            self._full.popitem(last=False)
        return found

    def _remember(self, key: tuple[str, tuple[str, ...]], mark: Mark) -> None:
        if mark.last is None:
            return
        self._marks[key] = mark
        self._marks.move_to_end(key)
        while len(self._marks) > MARKS:
            self._marks.popitem(last=False)
