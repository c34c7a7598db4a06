"""fMP4 remuxed from MPEG-TS for DASH (PyAV, no servers): init and media split right, media
placed on the timeline, frames decodable."""

import asyncio
import io
import struct
from collections.abc import Awaitable, Callable

import av
import pytest
from lpgw.delivery.video import boxes
from lpgw.delivery.video.errors import RemuxFailed
from lpgw.delivery.video.fragments import FragmentKey, Fragments
from lpgw.delivery.video.remux import fragment
from lpgw.video import adts
from lpgw.video.profiles import SOURCE

Media = dict[str, list[bytes]]
FPS, SAMPLE_RATE, SEGMENT_S = 30, 48_000, 2
LOW = "P144p30fps16x9"


def decode(data: bytes) -> list[av.frame.Frame]:
    with av.open(io.BytesIO(data), "r") as container:
        return list(container.decode(container.streams[0]))


def test_video_init_and_media(media: Media) -> None:
    made = fragment(media[LOW][1], "video", 2000)
    assert [b.kind for b in boxes.boxes(made.init)] == [b"ftyp", b"moov"]
    assert next(boxes.boxes(made.media)).kind == b"moof"
    assert made.timescale == 90_000
    assert boxes.decode_times(made.media) == [180_000], "tfdt at 2 s on the timeline"
    frames = decode(made.init + made.media)
    assert len(frames) == FPS * SEGMENT_S
    assert (frames[0].width, frames[0].height) == (256, 144)
    assert frames[0].time == pytest.approx(2.0)


def test_consecutive_segments_share_one_init(media: Media) -> None:
    first, second = (
        fragment(media[SOURCE][0], "video", 0),
        fragment(media[SOURCE][1], "video", 2000),
    )
    assert first.init == second.init
    frames = decode(first.init + first.media + second.media)
    assert len(frames) == 2 * FPS * SEGMENT_S
    times = [f.time for f in frames if f.time is not None]
    assert times == sorted(times)
    assert times[-1] == pytest.approx(4.0 - 1 / FPS, abs=0.01)


def test_audio_follows_its_video(media: Media) -> None:
    made = fragment(media[SOURCE][2], "audio", 4000)
    assert made.timescale == SAMPLE_RATE
    frames = decode(made.init + made.media)
    assert frames[0].time == pytest.approx(4.0, abs=0.05)
    assert sum(f.samples for f in frames if isinstance(f, av.AudioFrame)) == pytest.approx(
        SAMPLE_RATE * SEGMENT_S, rel=0.05
    )


def test_garbage_is_refused() -> None:
    with pytest.raises(RemuxFailed):
        fragment(b"\x47" + b"\x00" * 2000, "video", 0)


def test_a_track_the_segment_lacks_is_refused(media: Media) -> None:
    video_only = fragment(media[SOURCE][0], "video", 0)
    with pytest.raises(RemuxFailed):
        fragment(video_only.init + video_only.media, "audio", 0)


def test_audio_specific_config_of_adts() -> None:
    # AAC LC (profile 1), 48 kHz (index 3), mono: ASC 0x1188.
    header = bytes([0xFF, 0xF1, 0x4C, 0x40, 0x24, 0x1F, 0xFC])
    assert adts.audio_specific_config(header) == bytes([0x11, 0x88])
    with pytest.raises(adts.NotAdts):
        adts.audio_specific_config(b"\x00" * 7)


def test_shifting_decode_time_touches_only_tfdt(media: Media) -> None:
    made = fragment(media[SOURCE][0], "video", 0)
    shifted = boxes.shift_decode_time(made.media, 1234)
    assert len(shifted) == len(made.media)
    assert boxes.decode_times(shifted) == [t + 1234 for t in boxes.decode_times(made.media)]
    with pytest.raises(boxes.MalformedMp4):
        boxes.shift_decode_time(made.init, 1)


def test_truncated_boxes_are_malformed() -> None:
    with pytest.raises(boxes.MalformedMp4):
        list(boxes.boxes(struct.pack(">I4s", 100, b"moof")))


async def test_fragments_are_remuxed_once_and_kept_within_the_bound(media: Media) -> None:
    loads: list[int] = []

    def loader(seq: int) -> Callable[[], Awaitable[bytes]]:
        async def load() -> bytes:
            loads.append(seq)
            await asyncio.sleep(0.01)
            return media[SOURCE][seq]

        return load

    one = fragment(media[SOURCE][0], "video", 0)
    cache = Fragments(max_bytes=one.size * 2 + one.size // 2)
    keys = [FragmentKey("s1", SOURCE, "video", seq, seq * 2000) for seq in range(3)]
    together = await asyncio.gather(*(cache.get(keys[0], loader(0)) for _ in range(5)))
    assert loads == [0], "concurrent requests share one remux"
    assert all(f == together[0] for f in together)
    await cache.get(keys[1], loader(1))
    await cache.get(keys[2], loader(2))
    assert cache.cached_bytes <= cache.max_bytes
    await cache.get(keys[0], loader(0))
    assert loads == [0, 1, 2, 0], "the least recently used was dropped"
    await cache.get(keys[2], loader(2))
    assert loads == [0, 1, 2, 0]


async def test_a_failed_remux_reaches_every_waiter_and_is_not_kept() -> None:
    calls = 0

    async def garbage() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return b"not a segment"

    cache = Fragments(max_bytes=1 << 20)
    key = FragmentKey("s1", SOURCE, "video", 0, 0)
    results = await asyncio.gather(
        *(cache.get(key, garbage) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, RemuxFailed) for r in results)
    with pytest.raises(RemuxFailed):
        await cache.get(key, garbage)
    assert calls == 2
