"""Why one RTMP connection was closed: one type per reason, each closing only its connection.

The tree, in one place:

- `RtmpError`: anything a peer sent that we cannot go on with.
  - `HandshakeError`: not an RTMP version 3 handshake.
  - `Amf0Error`: malformed AMF0 (truncated, unknown marker, bad UTF-8, nested too deep).
  - `ChunkError`: a malformed chunk stream.
    - `MessageTooLarge`: a message (or the partial messages buffered) past the limit.
    - `ChunkSizeOutOfRange`: a Set Chunk Size we refuse.
  - `ProtocolError`: well-formed bytes in the wrong order (publish before connect, ...).

`RtmpRefused`, raised by the authorize callback, is not an error of the peer: it lives with the
public contract in `publishing`.
"""


class RtmpError(Exception):
    """The peer sent something we cannot go on with; its connection is closed."""


class HandshakeError(RtmpError):
    """The first 1 + 1536 + 1536 bytes are not an RTMP version 3 handshake."""


class Amf0Error(RtmpError):
    """Bytes that are not well-formed AMF0."""


class ChunkError(RtmpError):
    """Bytes that are not a well-formed RTMP chunk stream."""


class MessageTooLarge(ChunkError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"message of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class ChunkSizeOutOfRange(ChunkError):
    def __init__(self, size: int) -> None:
        super().__init__(f"chunk size {size} is out of range")
        self.size = size


class ProtocolError(RtmpError):
    """Well-formed messages in an order or shape the publish flow does not allow."""
