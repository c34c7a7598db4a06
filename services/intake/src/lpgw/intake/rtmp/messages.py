"""RTMP messages: what the chunk stream carries, and the small control messages we exchange.

Protocol control messages (types 1-6) and user control events (type 4) travel on chunk
stream 2, message stream 0; their payloads are a few big-endian integers.
"""

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from lpgw.intake.rtmp.errors import ProtocolError

CONTROL_CSID: Final = 2
"""Chunk stream of protocol control messages and user control events."""

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_PEER_BANDWIDTH = struct.Struct(">IB")


class MessageType(IntEnum):
    SET_CHUNK_SIZE = 1
    ABORT = 2
    ACKNOWLEDGEMENT = 3
    USER_CONTROL = 4
    WINDOW_ACK_SIZE = 5
    SET_PEER_BANDWIDTH = 6
    AUDIO = 8
    VIDEO = 9
    DATA_AMF3 = 15
    SHARED_OBJECT_AMF3 = 16
    COMMAND_AMF3 = 17
    DATA_AMF0 = 18
    SHARED_OBJECT_AMF0 = 19
    COMMAND_AMF0 = 20
    AGGREGATE = 22


class UserControlEvent(IntEnum):
    STREAM_BEGIN = 0
    STREAM_EOF = 1
    STREAM_DRY = 2
    SET_BUFFER_LENGTH = 3
    STREAM_IS_RECORDED = 4
    PING_REQUEST = 6
    PING_RESPONSE = 7


@dataclass(frozen=True, slots=True)
class Message:
    """One complete RTMP message. `timestamp` is absolute, in ms, modulo 2**32."""

    type_id: int
    payload: bytes
    timestamp: int = 0
    stream_id: int = 0
    csid: int = CONTROL_CSID


def u32(message: Message) -> int:
    """The 32-bit value that Set Chunk Size, Abort, Acknowledgement and Window Ack Size carry."""
    if len(message.payload) < 4:
        raise ProtocolError(f"message type {message.type_id} needs 4 payload bytes")
    value: int = _U32.unpack_from(message.payload)[0]
    return value


def set_chunk_size(size: int) -> Message:
    return Message(MessageType.SET_CHUNK_SIZE, _U32.pack(size))


def acknowledgement(sequence: int) -> Message:
    return Message(MessageType.ACKNOWLEDGEMENT, _U32.pack(sequence & 0xFFFFFFFF))


def window_ack_size(size: int) -> Message:
    return Message(MessageType.WINDOW_ACK_SIZE, _U32.pack(size))


def set_peer_bandwidth(size: int, limit_type: int = 2) -> Message:
    """`limit_type` 2 is "dynamic", the usual server choice."""
    return Message(MessageType.SET_PEER_BANDWIDTH, _PEER_BANDWIDTH.pack(size, limit_type))


def user_control(event: UserControlEvent, data: bytes) -> Message:
    return Message(MessageType.USER_CONTROL, _U16.pack(event) + data)


def stream_begin(stream_id: int) -> Message:
    return user_control(UserControlEvent.STREAM_BEGIN, _U32.pack(stream_id))


def parse_user_control(message: Message) -> tuple[int, bytes]:
    """The event type and its data (for a ping, the 4-byte timestamp to echo)."""
    if len(message.payload) < 2:
        raise ProtocolError("user control message needs an event type")
    event: int = _U16.unpack_from(message.payload)[0]
    return event, message.payload[2:]
