"""Cutting FLV tags into MPEG-TS segments: every segment plays alone, starts with a keyframe,
lasts about the target, and the segments together are the input, timestamps continuous."""

import io
import itertools
import time
from dataclasses import replace
from typing import Any

import av
import pytest
from lpgw.intake.video.segmenter import (
    BadMedia,
    NoKeyframe,
    Segment,
    Segmenter,
    SegmentTooLarge,
    UnsupportedMedia,
)


def is_keyframe(tag: Any) -> bool:
    return bool(tag.kind == "video" and tag.data[0] >> 4 == 1 and tag.data[1] == 1)


def cut(tags: list[Any], segmenter: Segmenter | None = None) -> list[Segment]:
    segmenter = segmenter or Segmenter()
    segments = [s for tag in tags if (s := segmenter.push(tag.kind, tag.timestamp_ms, tag.data))]
    last = segmenter.flush()
    return [*segments, last] if last else segments


def decoded(segment: Segment) -> tuple[list[av.VideoFrame], list[av.AudioFrame], bool]:
    """The segment's frames, decoded from its bytes alone, and whether its first video packet
    is a keyframe."""
    with av.open(io.BytesIO(segment.data)) as container:
        first = next(p for p in container.demux(video=0) if p.size)
        starts_with_key = first.is_keyframe
    with av.open(io.BytesIO(segment.data)) as container:
        video = list(container.decode(video=0))
    with av.open(io.BytesIO(segment.data)) as container:
        audio = list(container.decode(audio=0)) if container.streams.audio else []
    return video, audio, starts_with_key


def test_segments_play_alone_and_together_make_the_input(media: Any) -> None:
    clip = media.encode(seconds=7.0, gop=30)
    segments = cut(media.read_flv_tags(clip.data))
    assert [s.duration_ms for s in segments] == [2000, 2000, 2000, 1000]
    assert sum(s.frames for s in segments) == 7 * 30
    for before, after in itertools.pairwise(segments):
        assert after.start_ms == before.start_ms + before.duration_ms  # continuous timeline
    for segment in segments:
        video, audio, starts_with_key = decoded(segment)
        assert starts_with_key
        assert len(video) == segment.frames
        assert (video[0].width, video[0].height) == (640, 360)
        assert video[0].pts is not None and video[0].time_base is not None
        assert round(float(video[0].pts * video[0].time_base) * 1000) == segment.start_ms
        assert audio, "each segment carries its audio"
        assert segment.info.model_dump() == {
            "video_codec": "h264",
            "width": 640,
            "height": 360,
            "fps": 30.0,
            "has_audio": True,
        }


def test_cut_at_the_first_keyframe_at_or_after_the_target(media: Any) -> None:
    clip = media.encode(seconds=6.0, gop=45)  # keyframes every 1.5 s
    segments = cut(media.read_flv_tags(clip.data))
    assert [s.duration_ms for s in segments] == [3000, 3000]


def test_target_duration_is_configurable(media: Any) -> None:
    clip = media.encode(seconds=6.0, gop=30)
    segments = cut(media.read_flv_tags(clip.data), Segmenter(target_ms=3000))
    assert [s.duration_ms for s in segments] == [3000, 3000]


def test_video_without_audio(media: Any) -> None:
    clip = media.encode(seconds=4.0, audio=False, bframes=0)
    segments = cut(media.read_flv_tags(clip.data))
    assert [s.duration_ms for s in segments] == [2000, 2000]
    assert not any(s.info.has_audio for s in segments)
    assert all(decoded(s)[2] for s in segments)


@pytest.mark.parametrize(("width", "height"), [(426, 240), (640, 360), (1280, 720), (176, 144)])
def test_picture_size_comes_from_the_sps(media: Any, width: int, height: int) -> None:
    clip = media.encode(seconds=1.0, width=width, height=height, audio=False)
    (segment,) = cut(media.read_flv_tags(clip.data))
    assert (segment.info.width, segment.info.height) == (width, height)


def test_a_new_sequence_header_cuts_at_the_next_keyframe(media: Any) -> None:
    first = media.read_flv_tags(media.encode(seconds=3.0, audio=False).data)
    second = media.read_flv_tags(media.encode(seconds=2.0, width=426, height=240, audio=False).data)
    shifted = [replace(tag, timestamp_ms=tag.timestamp_ms + 3000) for tag in second]
    segments = cut(first + shifted)
    assert [(s.info.width, s.duration_ms) for s in segments] == [
        (640, 2000),
        (640, 1000),
        (426, 2000),
    ]
    assert all(decoded(s)[2] for s in segments)


def test_frames_before_the_first_keyframe_are_dropped(media: Any) -> None:
    tags = media.read_flv_tags(media.encode(seconds=4.0, audio=False, bframes=0).data)
    header, frames = tags[:2], tags[2:]
    segments = cut(header + frames[1:])  # the first keyframe is lost: start at the next one
    assert [s.start_ms for s in segments][:1] == [1000]


def test_a_stream_without_keyframes_for_too_long_is_refused(media: Any) -> None:
    tags = media.read_flv_tags(media.encode(seconds=5.0, audio=False, bframes=0).data)
    keyframes = [t for t in tags if is_keyframe(t)]
    first_key = tags.index(keyframes[0])
    no_more_keys = tags[: first_key + 1] + [t for t in tags[first_key + 1 :] if t not in keyframes]
    segmenter = Segmenter(max_ms=3000)
    with pytest.raises(NoKeyframe, match="no keyframe for 3 s"):
        cut(no_more_keys, segmenter)


def test_a_stream_that_never_sends_a_keyframe_is_refused(media: Any) -> None:
    tags = media.read_flv_tags(media.encode(seconds=5.0, audio=False, bframes=0).data)
    no_keys = [t for t in tags if not is_keyframe(t)]
    with pytest.raises(NoKeyframe, match="no keyframe within 3 s"):
        cut(no_keys, Segmenter(max_ms=3000))


def test_a_truncated_tag_is_bad_media(media: Any) -> None:
    tags = media.read_flv_tags(media.encode(seconds=2.0, audio=False).data)
    index = next(i for i, t in enumerate(tags) if t.kind == "video" and len(t.data) > 100)
    tags[index + 3] = replace(tags[index + 3], data=tags[index + 3].data[:40])
    with pytest.raises(BadMedia, match=r"bad H\.264 frame"):
        cut(tags)


@pytest.mark.parametrize(
    ("kind", "body", "error"),
    [
        pytest.param("video", b"", BadMedia, id="empty video tag"),
        pytest.param("video", b"\x17\x00", BadMedia, id="short AVC header"),
        pytest.param("video", b"\x17\x00\x00\x00\x00\x01\x64", BadMedia, id="broken avcC"),
        pytest.param("video", b"\x12\x00\x00", UnsupportedMedia, id="Sorenson H.263"),
        pytest.param("video", b"\x90hvc1", UnsupportedMedia, id="enhanced RTMP HEVC"),
        pytest.param("audio", b"", BadMedia, id="empty audio tag"),
    ],
)
def test_malformed_or_unsupported_tags(kind: str, body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        Segmenter().push(kind, 0, body)  # type: ignore[arg-type]


def test_unsupported_audio_is_dropped_and_video_goes_on(media: Any) -> None:
    tags = media.read_flv_tags(media.encode(seconds=4.0).data)
    mp3 = [replace(t, data=b"\x2f" + t.data[1:]) if t.kind == "audio" else t for t in tags]
    segments = cut(mp3)
    assert [s.duration_ms for s in segments] == [2000, 2000]
    assert not any(s.info.has_audio for s in segments)


def test_timestamps_going_backwards_are_kept_monotonic(media: Any) -> None:
    tags = media.read_flv_tags(media.encode(seconds=4.0).data)
    audio = [i for i, t in enumerate(tags) if t.kind == "audio"]
    tags[audio[20]] = replace(tags[audio[20]], timestamp_ms=tags[audio[19]].timestamp_ms - 30)
    segments = cut(tags)
    assert [s.duration_ms for s in segments] == [2000, 2000]
    assert all(decoded(s)[1] for s in segments)


def test_a_segment_cannot_grow_without_bound(media: Any) -> None:
    tags = media.read_flv_tags(media.encode(seconds=2.0).data)
    with pytest.raises(SegmentTooLarge):
        cut(tags, Segmenter(max_bytes=50_000))


def test_cpu_per_segment_at_360p(media: Any) -> None:
    """The figure for the closing note; the bound only catches an order-of-magnitude slip."""
    tags = media.read_flv_tags(media.encode(seconds=20.0, gop=60).data)
    started = time.process_time()
    rounds = 3
    for _ in range(rounds):
        segments = cut(tags)
    per_segment_ms = (time.process_time() - started) * 1000 / (rounds * len(segments))
    print(f"segmenter CPU per 2 s 360p segment: {per_segment_ms:.2f} ms")
    assert len(segments) == 10
    assert per_segment_ms < 20
