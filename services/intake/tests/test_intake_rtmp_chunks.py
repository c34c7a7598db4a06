"""The chunk stream codec: headers of every format, timestamps applied once per message,
extended timestamps, chunk sizes, aborts, limits, and interleaved chunk streams."""

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lpgw.intake.rtmp import messages
from lpgw.intake.rtmp.chunks import AckWindow, ChunkDecoder, ChunkEncoder
from lpgw.intake.rtmp.errors import ChunkError, ChunkSizeOutOfRange, MessageTooLarge
from lpgw.intake.rtmp.messages import Message, MessageType

AUDIO, VIDEO = MessageType.AUDIO, MessageType.VIDEO


def basic(fmt: int, csid: int) -> bytes:
    return bytes((fmt << 6 | csid,))


def u24(value: int) -> bytes:
    return value.to_bytes(3, "big")


def full(csid: int, ts: int, length: int, type_id: int, stream_id: int) -> bytes:
    """A format 0 chunk header; a timestamp past 24 bits goes in the extended field."""
    field = min(ts, 0xFFFFFF)
    ext = struct.pack(">I", ts) if field == 0xFFFFFF else b""
    return (
        basic(0, csid)
        + u24(field)
        + u24(length)
        + bytes((type_id,))
        + (struct.pack("<I", stream_id) + ext)
    )


def medium(csid: int, delta: int, length: int, type_id: int) -> bytes:
    return basic(1, csid) + u24(delta) + u24(length) + bytes((type_id,))


def small(csid: int, delta: int) -> bytes:
    field = min(delta, 0xFFFFFF)
    ext = struct.pack(">I", delta) if field == 0xFFFFFF else b""
    return basic(2, csid) + u24(field) + ext


def chunk_size_message(size: int) -> bytes:
    return full(2, 0, 4, MessageType.SET_CHUNK_SIZE, 0) + struct.pack(">I", size)


def decode(data: bytes, **kwargs: int) -> list[Message]:
    decoder = ChunkDecoder(**kwargs)
    decoder.feed(data)
    return decoder.messages()


def stamps(decoded: list[Message], type_id: int) -> list[int]:
    return [m.timestamp for m in decoded if m.type_id == type_id]


@pytest.mark.parametrize(
    ("csid", "header"),
    [
        pytest.param(2, b"\x02", id="csid 2: one byte"),
        pytest.param(63, b"\x3f", id="csid 63: one byte"),
        pytest.param(64, b"\x00\x00", id="csid 64: two bytes"),
        pytest.param(319, b"\x00\xff", id="csid 319: two bytes"),
        pytest.param(320, b"\x01\x00\x01", id="csid 320: three bytes"),
        pytest.param(65599, b"\x01\xff\xff", id="csid 65599: three bytes"),
    ],
)
def test_basic_header_forms(csid: int, header: bytes) -> None:
    message = Message(VIDEO, b"frame", 7, 1, csid)
    encoded = ChunkEncoder().encode(message)
    assert encoded.startswith(header)
    assert decode(encoded) == [message]


def test_format_0_header_carries_everything() -> None:
    data = full(4, 1000, 3, AUDIO, 1) + b"abc"
    assert decode(data) == [Message(AUDIO, b"abc", 1000, 1, 4)]


def test_formats_1_2_3_take_the_rest_from_the_previous_message() -> None:
    data = (
        full(6, 100, 3, AUDIO, 1)
        + b"abc"
        + medium(6, 20, 2, VIDEO)
        + b"de"
        + small(6, 30)
        + b"fg"
        + basic(3, 6)
        + b"hi"
    )
    assert decode(data) == [
        Message(AUDIO, b"abc", 100, 1, 6),
        Message(VIDEO, b"de", 120, 1, 6),
        Message(VIDEO, b"fg", 150, 1, 6),
        Message(VIDEO, b"hi", 180, 1, 6),  # format 3 starting a message: the previous delta
    ]


def test_format_3_after_format_0_reuses_its_timestamp_as_delta() -> None:
    """FFmpeg's writer relies on this: it sends format 3 when the delta equals the last
    header's timestamp field, which for a format 0 header is the absolute timestamp."""
    data = full(4, 40, 2, AUDIO, 1) + b"ab" + basic(3, 4) + b"cd"
    assert stamps(decode(data), AUDIO) == [40, 80]


def test_deltas_apply_once_per_message_however_many_chunks() -> None:
    """pyrtmp re-applied (or repeated) timestamps on continuation chunks and audio went
    backwards; here audio split in 3 chunks is interleaved with video split in 4."""
    audio_body, video_body = b"A" * 10, b"V" * 14
    data = chunk_size_message(4)
    audio_delta, video_delta = 23, 33
    for n in range(5):
        if n == 0:
            audio_head, video_head = full(4, 0, 10, AUDIO, 1), full(6, 0, 14, VIDEO, 1)
        elif n == 1:
            audio_head, video_head = small(4, audio_delta), small(6, video_delta)
        else:
            audio_head, video_head = basic(3, 4), basic(3, 6)
        audio = [audio_head + audio_body[:4], basic(3, 4) + audio_body[4:8]]
        audio.append(basic(3, 4) + audio_body[8:])
        video = [video_head + video_body[:4]]
        video += [basic(3, 6) + video_body[i : i + 4] for i in (4, 8, 12)]
        data += video[0] + audio[0] + video[1] + audio[1] + video[2] + audio[2] + video[3]
    decoded = decode(data)
    assert stamps(decoded, AUDIO) == [0, 23, 46, 69, 92]
    assert stamps(decoded, VIDEO) == [0, 33, 66, 99, 132]
    assert all(m.payload in (audio_body, video_body) for m in decoded)


def test_extended_timestamp_is_repeated_on_continuation_chunks() -> None:
    ts = 0x01000000
    ext = struct.pack(">I", ts)
    data = (
        chunk_size_message(4)
        + full(4, ts, 10, VIDEO, 1)
        + b"0123"
        + basic(3, 4)
        + ext
        + b"4567"
        + basic(3, 4)
        + ext
        + b"89"
    )
    assert decode(data) == [Message(VIDEO, b"0123456789", ts, 1, 4)]


def test_extended_delta_and_format_3_messages_reusing_it() -> None:
    big = 0x01000000
    data = (
        full(4, 5, 1, AUDIO, 1)
        + b"a"
        + small(4, big)
        + b"b"
        + basic(3, 4)
        + struct.pack(">I", big)
        + b"c"
    )
    assert stamps(decode(data), AUDIO) == [5, 5 + big, 5 + 2 * big]


def test_timestamps_wrap_at_32_bits() -> None:
    data = full(4, 0xFFFFFFF0, 1, AUDIO, 1) + b"a" + small(4, 0x20) + b"b"
    assert stamps(decode(data), AUDIO) == [0xFFFFFFF0, 0x10]


def test_a_backwards_delta_as_librtmp_writes_it() -> None:
    """OBS sends audio and video on one chunk stream; a video message 10 ms before the audio
    one comes as a format 1 header whose delta is -10 modulo 2**32 (so extended)."""
    backwards = (-10) & 0xFFFFFFFF
    data = (
        full(4, 1010, 1, AUDIO, 1)
        + b"a"
        + basic(1, 4)
        + u24(0xFFFFFF)
        + u24(1)
        + bytes((VIDEO,))
        + struct.pack(">I", backwards)
        + b"v"
    )
    assert [(m.type_id, m.timestamp) for m in decode(data)] == [(AUDIO, 1010), (VIDEO, 1000)]


def test_set_chunk_size_applies_from_the_next_chunk() -> None:
    body = bytes(range(256)) * 15
    data = chunk_size_message(4096) + full(6, 0, len(body), VIDEO, 1) + body
    assert decode(data) == [Message(VIDEO, body, 0, 1, 6)]


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(0, id="zero"),
        pytest.param(0x80000000, id="top bit set"),
        pytest.param(0x1000000, id="larger than any message"),
    ],
)
def test_a_chunk_size_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ChunkSizeOutOfRange):
        decode(chunk_size_message(size))


def test_abort_drops_the_partial_message() -> None:
    abort = full(2, 0, 4, MessageType.ABORT, 0) + struct.pack(">I", 4)
    data = (
        chunk_size_message(4)
        + full(4, 0, 10, VIDEO, 1)
        + b"0123"
        + abort
        + full(4, 40, 2, VIDEO, 1)
        + b"ok"
    )
    assert decode(data) == [Message(VIDEO, b"ok", 40, 1, 4)]


def test_an_oversize_message_is_refused_from_its_header() -> None:
    with pytest.raises(MessageTooLarge):
        decode(full(4, 0, 2000, VIDEO, 1), max_message_bytes=1000)


def test_partial_messages_are_bounded_across_chunk_streams() -> None:
    data = chunk_size_message(100)
    for csid in range(3, 40):
        data += full(csid, 0, 900, VIDEO, 1) + bytes(100)
    with pytest.raises(MessageTooLarge):
        decode(data, max_message_bytes=1000)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(small(5, 10) + b"x", id="format 2 first on a chunk stream"),
        pytest.param(basic(3, 5) + b"x", id="format 3 first on a chunk stream"),
        pytest.param(
            chunk_size_message(4) + full(4, 0, 10, VIDEO, 1) + b"0123" + small(4, 5) + b"4567",
            id="new header inside a message",
        ),
    ],
)
def test_malformed_chunk_streams_raise(data: bytes) -> None:
    with pytest.raises(ChunkError):
        decode(data)


def test_format_1_first_on_a_chunk_stream_is_tolerated() -> None:
    assert decode(medium(5, 10, 1, AUDIO) + b"x") == [Message(AUDIO, b"x", 10, 0, 5)]


def test_bytes_fed_one_at_a_time_give_the_same_messages() -> None:
    encoder = ChunkEncoder(chunk_size=7)
    sent = [Message(VIDEO, bytes([n]) * (n * 5 + 1), n * 33, 1, 6) for n in range(12)]
    data = b"".join(encoder.encode(m) for m in sent)
    decoder = ChunkDecoder()
    decoder.chunk_size = 7
    got: list[Message] = []
    for byte in data:
        decoder.feed(bytes((byte,)))
        got += decoder.messages()
    assert got == sent
    assert decoder.buffered == 0


def test_the_encoder_compresses_headers_of_regular_messages() -> None:
    encoder = ChunkEncoder()
    formats = [encoder.encode(Message(AUDIO, b"x" * 10, n * 23, 1, 4))[0] >> 6 for n in range(4)]
    assert formats == [0, 2, 3, 3]
    assert encoder.encode(Message(VIDEO, b"y", 100, 1, 4))[0] >> 6 == 1
    assert encoder.encode(Message(VIDEO, b"y", 50, 1, 4))[0] >> 6 == 0  # backwards


message_lists = st.lists(
    st.builds(
        Message,
        type_id=st.sampled_from([AUDIO, VIDEO, MessageType.DATA_AMF0]),
        payload=st.binary(max_size=300) | st.sampled_from([b"", b"a" * 100, b"b" * 100]),
        timestamp=st.integers(0, 0xFFFFFFFF)
        | st.integers(0xFFFFF0, 0x1000010)
        | st.sampled_from([0, 23, 46, 69, 0x1FFFFFE, 0x2FFFFFD]),
        stream_id=st.sampled_from([0, 1]),
        csid=st.sampled_from([3, 4, 6, 64, 400]),
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(message_lists, st.integers(1, 300), st.randoms(use_true_random=False))
def test_round_trip_with_interleaved_chunk_streams(
    sent: list[Message], chunk_size: int, rnd: random.Random
) -> None:
    encoder = ChunkEncoder()
    prefix = encoder.encode(messages.set_chunk_size(chunk_size))
    encoder.chunk_size = chunk_size
    queues: dict[int, list[tuple[bytes, Message | None]]] = {}
    for message in sent:
        parts = encoder.chunks(message)
        queue = queues.setdefault(message.csid, [])
        queue += [(part, None) for part in parts[:-1]] + [(parts[-1], message)]
    stream: list[tuple[bytes, Message | None]] = []
    while queues:
        csid = rnd.choice(sorted(queues))
        stream.append(queues[csid].pop(0))
        if not queues[csid]:
            del queues[csid]
    expected = [message for _, message in stream if message is not None]
    data = prefix + b"".join(part for part, _ in stream)

    decoder = ChunkDecoder()
    got: list[Message] = []
    cut = 0
    while cut < len(data):
        step = rnd.randint(1, 500)
        decoder.feed(data[cut : cut + step])
        got += decoder.messages()
        cut += step
    assert got == expected


def test_ack_window_acknowledges_every_window() -> None:
    window = AckWindow()
    assert window.add(10_000) is None  # no window set by the peer: no acknowledgements
    window.size = 1000
    assert window.add(500) == 10_500
    assert window.add(999) is None
    assert window.add(1) == 11_500
    window.received = 2**32 - 10
    assert window.add(1000) == 990  # sequence numbers wrap at 32 bits
