"""AMF0, the value encoding of RTMP commands and metadata (`connect`, `onMetaData`, ...).

Python values stand for AMF0 types: `float` (and `int` on the way in) for number, `bool`,
`str` (long string when its UTF-8 form passes 65,535 bytes), `dict` for object, `EcmaArray`
for ECMA array, `list` for strict array, `None` for null, `UNDEFINED`, and `Date`. Decoding
is strict: anything malformed raises `Amf0Error`, never another exception.
"""

import struct
from dataclasses import dataclass
from enum import Enum
from typing import Final, TypeAlias

from lpgw.intake.rtmp.errors import Amf0Error

NUMBER: Final = 0x00
BOOLEAN: Final = 0x01
STRING: Final = 0x02
OBJECT: Final = 0x03
NULL: Final = 0x05
UNDEFINED_MARKER: Final = 0x06
ECMA_ARRAY: Final = 0x08
OBJECT_END: Final = 0x09
STRICT_ARRAY: Final = 0x0A
DATE: Final = 0x0B
LONG_STRING: Final = 0x0C

MAX_DEPTH: Final = 64
"""Nesting deeper than this is refused: no real metadata nests, and a peer must not make us
recurse without bound."""

_DOUBLE = struct.Struct(">d")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_DATE = struct.Struct(">dh")
_OBJECT_END = b"\x00\x00\x09"


class _Undefined(Enum):
    UNDEFINED = "undefined"


UNDEFINED: Final = _Undefined.UNDEFINED
"""AMF0 undefined, distinct from null (`None`)."""


@dataclass(frozen=True)
class Date:
    """An AMF0 date: milliseconds since the Unix epoch, and a time zone (reserved, usually 0)."""

    ms: float
    tz: int = 0


class EcmaArray(dict[str, "Value"]):
    """An AMF0 ECMA array (the form of `onMetaData`): a dict kept apart from plain objects so a
    decoded value encodes back to the same bytes."""


Value: TypeAlias = (
    float | int | bool | str | _Undefined | Date | dict[str, "Value"] | list["Value"] | None
)


# --- encoding ------------------------------------------------------------------------------


def encode(*values: Value) -> bytes:
    """The AMF0 bytes of `values`, one after another (how a command message is laid out)."""
    out = bytearray()
    for value in values:
        _encode_value(out, value, 0)
    return bytes(out)


def _encode_value(out: bytearray, value: Value, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("AMF0 value nested too deep")
    if value is None:
        out.append(NULL)
    elif value is UNDEFINED:
        out.append(UNDEFINED_MARKER)
    elif isinstance(value, bool):
        out += bytes((BOOLEAN, 1 if value else 0))
    elif isinstance(value, int | float):
        out.append(NUMBER)
        out += _DOUBLE.pack(value)
    elif isinstance(value, str):
        raw = value.encode()
        if len(raw) > 0xFFFF:
            out.append(LONG_STRING)
            out += _U32.pack(len(raw))
        else:
            out.append(STRING)
            out += _U16.pack(len(raw))
        out += raw
    elif isinstance(value, Date):
        out.append(DATE)
        out += _DATE.pack(value.ms, value.tz)
    elif isinstance(value, EcmaArray):
        out.append(ECMA_ARRAY)
        out += _U32.pack(len(value))
        _encode_properties(out, value, depth)
    elif isinstance(value, dict):
        out.append(OBJECT)
        _encode_properties(out, value, depth)
    elif isinstance(value, list):
        out.append(STRICT_ARRAY)
        out += _U32.pack(len(value))
        for item in value:
            _encode_value(out, item, depth + 1)
    else:
        raise TypeError(f"no AMF0 form for {type(value).__name__}")


def _encode_properties(out: bytearray, properties: dict[str, Value], depth: int) -> None:
    for key, item in properties.items():
        raw = key.encode()
        if not raw or len(raw) > 0xFFFF:
            raise ValueError("AMF0 property names are 1 to 65,535 bytes")
        out += _U16.pack(len(raw))
        out += raw
        _encode_value(out, item, depth + 1)
    out += _OBJECT_END


# --- decoding ------------------------------------------------------------------------------


def decode(data: bytes | bytearray | memoryview) -> list[Value]:
    """Every value in `data`, which must end exactly after the last one."""
    view = memoryview(data)
    values: list[Value] = []
    offset = 0
    while offset < len(view):
        value, offset = decode_value(view, offset)
        values.append(value)
    return values


def decode_value(data: bytes | bytearray | memoryview, offset: int = 0) -> tuple[Value, int]:
    """One value starting at `offset`, and the offset just past it."""
    return _Reader(memoryview(data), offset).value(0)


class _Reader:
    """A cursor over the input; every read checks bounds so truncation is an `Amf0Error`."""

    def __init__(self, view: memoryview, offset: int) -> None:
        self.view = view
        self.pos = offset

    def take(self, n: int) -> memoryview:
        end = self.pos + n
        if end > len(self.view):
            raise Amf0Error(f"truncated AMF0: need {n} bytes at offset {self.pos}")
        chunk = self.view[self.pos : end]
        self.pos = end
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = _U16.unpack(self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = _U32.unpack(self.take(4))[0]
        return value

    def text(self, n: int) -> str:
        try:
            return str(self.take(n), "utf-8")
        except UnicodeDecodeError as exc:
            raise Amf0Error(f"AMF0 string is not UTF-8 at offset {self.pos - n}") from exc

    def value(self, depth: int) -> tuple[Value, int]:
        if depth > MAX_DEPTH:
            raise Amf0Error("AMF0 value nested too deep")
        marker = self.u8()
        result: Value
        if marker == NUMBER:
            result = _DOUBLE.unpack(self.take(8))[0]
        elif marker == BOOLEAN:
            result = self.u8() != 0
        elif marker == STRING:
            result = self.text(self.u16())
        elif marker == LONG_STRING:
            result = self.text(self.u32())
        elif marker == OBJECT:
            result = self.properties(depth, {})
        elif marker == ECMA_ARRAY:
            self.u32()  # a count hint, often wrong in the wild: the end marker is what counts
            result = self.properties(depth, EcmaArray())
        elif marker == STRICT_ARRAY:
            result = self.strict_array(depth)
        elif marker == NULL:
            result = None
        elif marker == UNDEFINED_MARKER:
            result = UNDEFINED
        elif marker == DATE:
            ms, tz = _DATE.unpack(self.take(10))
            result = Date(ms, tz)
        elif marker == OBJECT_END:
            raise Amf0Error(f"unexpected AMF0 object end at offset {self.pos - 1}")
        else:
            raise Amf0Error(f"unsupported AMF0 marker 0x{marker:02x} at offset {self.pos - 1}")
        return result, self.pos

    def properties(self, depth: int, into: dict[str, Value]) -> dict[str, Value]:
        while True:
            name = self.text(self.u16())
            if not name:
                if self.u8() != OBJECT_END:
                    raise Amf0Error(f"AMF0 object not closed at offset {self.pos - 1}")
                return into
            into[name], _ = self.value(depth + 1)

    def strict_array(self, depth: int) -> list[Value]:
        count = self.u32()
        if count > len(self.view) - self.pos:  # every item takes at least its marker byte
            raise Amf0Error(f"AMF0 strict array of {count} items overruns the input")
        items: list[Value] = []
        for _ in range(count):
            item, _ = self.value(depth + 1)
            items.append(item)
        return items
