"""Just enough ISO BMFF (ISO 14496-12) to cut a fragmented MP4 into a DASH init segment and a
media segment, read the track's timescale, and place the media on the stream's timeline.

FFmpeg's MP4 muxer starts every file's decode time at 0; a DASH player places fragments by
their `tfdt` (base media decode time), which must match the MPD's SegmentTimeline. Shifting
`tfdt` rewrites eight bytes per fragment and nothing else (sample data offsets are relative to
the `moof`, whose size does not change).
"""

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_CONTAINERS = {b"moov", b"trak", b"mdia", b"moof", b"traf"}


class MalformedMp4(ValueError):
    """The bytes are not the fragmented MP4 expected."""


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int
    header: int
    size: int

    @property
    def body(self) -> int:
        return self.start + self.header

    @property
    def end(self) -> int:
        return self.start + self.size


def boxes(data: bytes | bytearray, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes directly inside `data[start:end]`."""
    end = len(data) if end is None else end
    at = start
    while at < end:
        if at + 8 > end:
            raise MalformedMp4(f"truncated box header at {at}")
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise MalformedMp4(f"truncated box header at {at}")
            size = struct.unpack_from(">Q", data, at + 8)[0]
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise MalformedMp4(f"box {kind!r} at {at} overruns its parent")
        yield Box(kind, at, header, size)
        at += size


def find(data: bytes | bytearray, path: list[bytes], start: int = 0) -> Iterator[Box]:
    """Every box at `path` (e.g. [moof, traf, tfdt]) below `data[start:]`."""
    yield from _find(data, path, start, len(data))


def _find(data: bytes | bytearray, path: list[bytes], start: int, end: int) -> Iterator[Box]:
    for box in boxes(data, start, end):
        if box.kind != path[0]:
            continue
        if len(path) == 1:
            yield box
        elif box.kind in _CONTAINERS:
            yield from _find(data, path[1:], box.body, box.end)


def split(data: bytes) -> tuple[bytes, bytes]:
    """(init segment, media segment): everything before the first `moof`, and the rest."""
    first = next((box for box in boxes(data) if box.kind == b"moof"), None)
    if first is None:
        raise MalformedMp4("no moof: not a fragmented MP4")
    return data[: first.start], data[first.start :]


def timescale(init: bytes) -> int:
    """The (first) track's media timescale, from `moov/trak/mdia/mdhd`."""
    mdhd = next(find(init, [b"moov", b"trak", b"mdia", b"mdhd"]), None)
    if mdhd is None:
        raise MalformedMp4("no mdhd in the init segment")
    version = init[mdhd.body]
    offset = mdhd.body + (20 if version == 1 else 12)
    return int(struct.unpack_from(">I", init, offset)[0])


def shift_decode_time(media: bytes, delta: int) -> bytes:
    """`media` with `delta` added to every fragment's base media decode time."""
    out = bytearray(media)
    found = False
    for tfdt in find(out, [b"moof", b"traf", b"tfdt"]):
        found = True
        version = out[tfdt.body]
        if version == 1:
            value = struct.unpack_from(">Q", out, tfdt.body + 4)[0] + delta
            if value < 0:
                raise MalformedMp4("decode time would be negative")
            struct.pack_into(">Q", out, tfdt.body + 4, value)
        else:
            value = struct.unpack_from(">I", out, tfdt.body + 4)[0] + delta
            if not 0 <= value < 2**32:
                raise MalformedMp4("decode time does not fit a version 0 tfdt")
            struct.pack_into(">I", out, tfdt.body + 4, value)
    if not found:
        raise MalformedMp4("no tfdt in the media segment")
    return bytes(out)


def decode_times(media: bytes) -> list[int]:
    """Every fragment's base media decode time, in order."""
    times = []
    for tfdt in find(media, [b"moof", b"traf", b"tfdt"]):
        fmt = ">Q" if media[tfdt.body] == 1 else ">I"
        times.append(int(struct.unpack_from(fmt, media, tfdt.body + 4)[0]))
    return times
