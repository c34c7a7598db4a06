"""RTMP media messages as FLV tags: an audio or video message body already is an FLV tag body;
a data message loses the `@setDataFrame` in front of `onMetaData`; an aggregate message is a
run of FLV tags whose timestamps are relative to the message's."""

import struct
from typing import Literal

from lpgw.intake.rtmp import amf0
from lpgw.intake.rtmp.errors import ProtocolError
from lpgw.intake.rtmp.messages import Message, MessageType
from lpgw.intake.rtmp.publishing import FlvTag

SET_DATA_FRAME = "@setDataFrame"

_TAG_HEADER = struct.Struct(">BBHBHBBH")  # type, size (8+16), ts (8+16), ts high, stream (8+16)
_TAG_TRAILER = 4  # "previous tag size" after each tag body
_TS_MASK = 0xFFFFFFFF


def from_message(message: Message) -> list[FlvTag]:
    """The FLV tags a media, data or aggregate message carries ([] for anything else)."""
    kind = message.type_id
    if kind == MessageType.AUDIO or kind == MessageType.VIDEO:
        if not message.payload:  # an empty body says nothing; FLV demuxers choke on it
            return []
        media: Literal["audio", "video"] = "audio" if kind == MessageType.AUDIO else "video"
        return [FlvTag(media, message.timestamp, message.payload)]
    if kind == MessageType.DATA_AMF0:
        data = script_body(message.payload)
        return [] if data is None else [FlvTag("script", message.timestamp, data)]
    if kind == MessageType.AGGREGATE:
        return _split_aggregate(message)
    return []


def script_body(payload: bytes) -> bytes | None:
    """The script tag body of a data message: `@setDataFrame` stripped, other `@` directives
    (such as `@clearDataFrame`) dropped, anything else (onCuePoint, ...) kept as sent."""
    name, end = amf0.decode_value(payload)
    if not isinstance(name, str):
        raise ProtocolError("a data message starts with its name")
    if name == SET_DATA_FRAME:
        return payload[end:] or None
    if name.startswith("@"):
        return None
    return payload


def _split_aggregate(message: Message) -> list[FlvTag]:
    payload = message.payload
    tags: list[FlvTag] = []
    first_ts: int | None = None
    offset = 0
    while offset < len(payload):
        if offset + _TAG_HEADER.size > len(payload):
            raise ProtocolError("truncated tag header in an aggregate message")
        tag_type, size_hi, size_lo, ts_hi, ts_lo, ts_top, _, _ = _TAG_HEADER.unpack_from(
            payload, offset
        )
        size = (size_hi << 16) | size_lo
        ts = (ts_top << 24) | (ts_hi << 16) | ts_lo
        body_start = offset + _TAG_HEADER.size
        body_end = body_start + size
        if body_end + _TAG_TRAILER > len(payload):
            raise ProtocolError("truncated tag in an aggregate message")
        if first_ts is None:
            first_ts = ts
        inner = Message(
            tag_type, payload[body_start:body_end], (message.timestamp + ts - first_ts) & _TS_MASK
        )
        if tag_type in (MessageType.AUDIO, MessageType.VIDEO, MessageType.DATA_AMF0):
            tags.extend(from_message(inner))
        offset = body_end + _TAG_TRAILER
    return tags
