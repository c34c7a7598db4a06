"""The RTMP chunk stream: messages cut into chunks, interleaved over chunk streams (csid).

Each chunk is a basic header (format and csid, 1-3 bytes), a message header whose size
depends on the format, an optional extended timestamp, then at most `chunk_size` payload bytes.

- format 0 (11 bytes): absolute timestamp, length, type, message stream id;
- format 1 (7 bytes): timestamp delta, length, type; same message stream;
- format 2 (3 bytes): timestamp delta; same length, type and stream;
- format 3 (none): either the next chunk of the message under way, or a new message exactly
  like the previous one, *with the previous delta*.

Timestamps are applied once per message, on its first chunk: continuation chunks never move
them. After a format 0 header the delta a format 3 message reuses is that header's timestamp,
as FFmpeg's writer assumes. A 3-byte field of 0xFFFFFF means the value follows as a 4-byte
extended timestamp; format 3 chunks then repeat that 4-byte field for as long as the last
format 0-2 header of their chunk stream had one. Timestamps are modulo 2**32.

`ChunkDecoder` is incremental and pure: feed it bytes, take complete messages. It applies Set
Chunk Size and Abort itself, since they change how the very next chunk is read.
"""

import struct
from dataclasses import dataclass
from typing import Final

from lpgw.intake.rtmp.errors import ChunkError, ChunkSizeOutOfRange, MessageTooLarge
from lpgw.intake.rtmp.messages import Message, MessageType, u32

DEFAULT_CHUNK_SIZE: Final = 128
MAX_CHUNK_SIZE: Final = 0xFFFFFF
"""Larger than any message can be (lengths are 24-bit); bigger values are refused."""

_EXTENDED: Final = 0xFFFFFF
_TS_MASK: Final = 0xFFFFFFFF

_HEADER_SIZES: Final = (11, 7, 3, 0)
_FULL = struct.Struct(">BHBHB")  # timestamp (24 bits as 8+16), length (8+16), type
_STREAM_ID = struct.Struct("<I")  # the one little-endian field of RTMP
_DELTA = struct.Struct(">BH")
_U32 = struct.Struct(">I")


@dataclass(slots=True)
class _Incoming:
    """What one chunk stream remembers between chunks."""

    timestamp: int = 0  # absolute timestamp of the message under way, or of the last one
    delta: int = 0  # what a format 3 chunk starting a new message adds
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    extended: bool = False  # the last format 0-2 header used an extended timestamp
    body: bytearray | None = None  # payload received so far of a message under way


class ChunkDecoder:
    """Bytes in, complete messages out, in the order their last chunk arrived."""

    def __init__(self, max_message_bytes: int = 8 * 1024 * 1024) -> None:
        self.chunk_size = DEFAULT_CHUNK_SIZE
        self.max_message_bytes = max_message_bytes
        self._buf = bytearray()
        self._pos = 0
        self._streams: dict[int, _Incoming] = {}
        self._partial_bytes = 0

    def feed(self, data: bytes) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    @property
    def buffered(self) -> int:
        """Bytes held: unparsed input plus payload of messages under way."""
        return len(self._buf) - self._pos + self._partial_bytes

    def next_message(self) -> Message | None:
        """The next complete message, or None until more bytes are fed."""
        while True:
            message = self._read_chunk()
            if message is None:
                return None
            if message is _CHUNK_ONLY:
                continue
            if message.type_id == MessageType.SET_CHUNK_SIZE:
                self._set_chunk_size(u32(message))
            elif message.type_id == MessageType.ABORT:
                self._abort(u32(message))
            else:
                return message

    def messages(self) -> list[Message]:
        """Every message complete so far (convenient in tests; the server takes them one by
        one with `next_message`)."""
        out: list[Message] = []
        while (message := self.next_message()) is not None:
            out.append(message)
        return out

    def _set_chunk_size(self, size: int) -> None:
        if not 1 <= size <= MAX_CHUNK_SIZE:
            raise ChunkSizeOutOfRange(size)
        self.chunk_size = size

    def _abort(self, csid: int) -> None:
        stream = self._streams.get(csid)
        if stream is not None and stream.body is not None:
            self._partial_bytes -= len(stream.body)
            stream.body = None

    def _read_chunk(self) -> Message | None:
        """Consume one whole chunk if it is all there: the message it completes, `_CHUNK_ONLY`
        when it completes none, None (consuming nothing) when bytes are missing."""
        buf = self._buf
        end = len(buf)
        pos = self._pos
        if pos >= end:
            return None
        first = buf[pos]
        fmt = first >> 6
        csid = first & 0x3F
        pos += 1
        if csid == 0:
            if pos + 1 > end:
                return None
            csid = 64 + buf[pos]
            pos += 1
        elif csid == 1:
            if pos + 2 > end:
                return None
            csid = 64 + buf[pos] + (buf[pos + 1] << 8)
            pos += 2
        if pos + _HEADER_SIZES[fmt] > end:
            return None

        stream = self._streams.get(csid)
        if stream is None:
            if fmt >= 2:
                raise ChunkError(f"chunk stream {csid} starts without a message header")
            stream = _Incoming()  # format 1 first is tolerated: stream id 0, as librtmp may do
        starting = stream.body is None
        if not starting and fmt != 3:
            raise ChunkError(f"new message header inside a message on chunk stream {csid}")

        length, type_id, stream_id = stream.length, stream.type_id, stream.stream_id
        extended = stream.extended
        if fmt == 3:
            if extended:  # repeated extended timestamp: its value adds nothing we lack
                if pos + 4 > end:
                    return None
                pos += 4
            if starting:
                delta = stream.delta
                timestamp = (stream.timestamp + delta) & _TS_MASK
            else:
                delta, timestamp = stream.delta, stream.timestamp
        else:
            if fmt == 2:
                ts_hi, ts_lo = _DELTA.unpack_from(buf, pos)
            else:
                ts_hi, ts_lo, len_hi, len_lo, type_id = _FULL.unpack_from(buf, pos)
                length = (len_hi << 16) | len_lo
                if fmt == 0:
                    stream_id = _STREAM_ID.unpack_from(buf, pos + 7)[0]
            pos += _HEADER_SIZES[fmt]
            field = (ts_hi << 16) | ts_lo
            extended = field == _EXTENDED
            if extended:
                if pos + 4 > end:
                    return None
                field = _U32.unpack_from(buf, pos)[0]
                pos += 4
            delta = field
            timestamp = field if fmt == 0 else (stream.timestamp + field) & _TS_MASK
            if length > self.max_message_bytes:
                raise MessageTooLarge(length, self.max_message_bytes)

        received = 0 if stream.body is None else len(stream.body)
        size = min(self.chunk_size, length - received)
        if pos + size > end:
            return None
        if received + size < length and self._partial_bytes + size > self.max_message_bytes:
            raise MessageTooLarge(self._partial_bytes + size, self.max_message_bytes)

        # The whole chunk is here: commit.
        self._streams[csid] = stream
        self._pos = pos + size
        stream.timestamp, stream.delta, stream.extended = timestamp, delta, extended
        stream.length, stream.type_id, stream.stream_id = length, type_id, stream_id
        if stream.body is None:
            if size == length:
                return Message(type_id, bytes(buf[pos : pos + size]), timestamp, stream_id, csid)
            stream.body = bytearray(buf[pos : pos + size])
            self._partial_bytes += size
            return _CHUNK_ONLY
        stream.body += buf[pos : pos + size]
        self._partial_bytes += size
        if len(stream.body) < length:
            return _CHUNK_ONLY
        payload = bytes(stream.body)
        self._partial_bytes -= length
        stream.body = None
        return Message(type_id, payload, timestamp, stream_id, csid)


_CHUNK_ONLY: Final = Message(-1, b"")
"""Sentinel of `_read_chunk`: a chunk was consumed, no message completed."""


@dataclass(slots=True)
class _Outgoing:
    timestamp: int
    delta: int
    length: int
    type_id: int
    stream_id: int
    extended: bool


class ChunkEncoder:
    """Messages in, chunk bytes out, with the smallest header each chunk stream allows."""

    def __init__(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.chunk_size = chunk_size
        self._streams: dict[int, _Outgoing] = {}

    def encode(self, message: Message) -> bytes:
        return b"".join(self.chunks(message))

    def chunks(self, message: Message) -> list[bytes]:
        """The chunks of one message, apart, so chunk streams can be interleaved (tests)."""
        csid, payload, length = message.csid, message.payload, len(message.payload)
        if length > 0xFFFFFF:
            raise ValueError("RTMP messages are at most 16 MiB - 1")
        prev = self._streams.get(csid)
        if (
            prev is None
            or prev.stream_id != message.stream_id
            or message.timestamp < prev.timestamp
        ):
            fmt, field = 0, message.timestamp
        else:
            field = message.timestamp - prev.timestamp
            if prev.length != length or prev.type_id != message.type_id:
                fmt = 1
            else:
                fmt = 3 if field == prev.delta else 2
        extended = field >= _EXTENDED  # for format 3, equal to the previous header's choice
        header = _basic_header(fmt, csid)
        short = _EXTENDED if extended else field
        if fmt == 0:
            header += _FULL.pack(
                short >> 16, short & 0xFFFF, length >> 16, length & 0xFFFF, message.type_id
            ) + _STREAM_ID.pack(message.stream_id)
        elif fmt == 1:
            header += _FULL.pack(
                short >> 16, short & 0xFFFF, length >> 16, length & 0xFFFF, message.type_id
            )
        elif fmt == 2:
            header += _DELTA.pack(short >> 16, short & 0xFFFF)
        ext = _U32.pack(field & _TS_MASK) if extended else b""
        self._streams[csid] = _Outgoing(
            message.timestamp, field, length, message.type_id, message.stream_id, extended
        )

        size = self.chunk_size
        chunks = [header + ext + payload[:size]]
        continuation = _basic_header(3, csid) + ext
        for offset in range(size, length, size):
            chunks.append(continuation + payload[offset : offset + size])
        return chunks


def _basic_header(fmt: int, csid: int) -> bytes:
    if 2 <= csid <= 63:
        return bytes((fmt << 6 | csid,))
    if 64 <= csid <= 319:
        return bytes((fmt << 6, csid - 64))
    if 320 <= csid <= 65599:
        rest = csid - 64
        return bytes((fmt << 6 | 1, rest & 0xFF, rest >> 8))
    raise ValueError(f"chunk stream id {csid} is outside 2..65599")


class AckWindow:
    """Counts bytes received and says when to acknowledge them: every `size` bytes, the peer's
    Window Acknowledgement Size (0 until the peer sets one: no acknowledgements)."""

    def __init__(self) -> None:
        self.size = 0
        self.received = 0
        self._acknowledged = 0

    def add(self, n: int) -> int | None:
        """The sequence number to acknowledge now (bytes so far, modulo 2**32), or None."""
        self.received += n
        if self.size and self.received - self._acknowledged >= self.size:
            self._acknowledged = self.received
            return self.received & _TS_MASK
        return None
