"""AMF0 as RTMP clients write it: every type round-trips, and malformed bytes raise Amf0Error."""

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lpgw.intake.rtmp import amf0
from lpgw.intake.rtmp.amf0 import UNDEFINED, Date, EcmaArray
from lpgw.intake.rtmp.errors import Amf0Error


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        pytest.param(1.0, b"\x00" + struct.pack(">d", 1.0), id="number"),
        pytest.param(True, b"\x01\x01", id="true"),
        pytest.param(False, b"\x01\x00", id="false"),
        pytest.param("live", b"\x02\x00\x04live", id="string"),
        pytest.param("", b"\x02\x00\x00", id="empty string"),
        pytest.param(None, b"\x05", id="null"),
        pytest.param(UNDEFINED, b"\x06", id="undefined"),
        pytest.param({"a": None}, b"\x03\x00\x01a\x05\x00\x00\x09", id="object"),
        pytest.param(
            EcmaArray(width=1.0),
            b"\x08\x00\x00\x00\x01\x00\x05width\x00" + struct.pack(">d", 1.0) + b"\x00\x00\x09",
            id="ECMA array",
        ),
        pytest.param([None, True], b"\x0a\x00\x00\x00\x02\x05\x01\x01", id="strict array"),
        pytest.param(
            Date(1_700_000_000_000.0, 0),
            b"\x0b" + struct.pack(">dh", 1_700_000_000_000.0, 0),
            id="date",
        ),
    ],
)
def test_known_encodings(value: amf0.Value, encoded: bytes) -> None:
    assert amf0.encode(value) == encoded
    assert amf0.decode(encoded) == [value]


def test_ecma_array_and_object_stay_apart() -> None:
    decoded = amf0.decode(amf0.encode({"x": 1.0}, EcmaArray(x=1.0)))
    assert type(decoded[0]) is dict
    assert type(decoded[1]) is EcmaArray


def test_long_strings_use_the_long_form() -> None:
    text = "k" * 70_000
    encoded = amf0.encode(text)
    assert encoded[0] == amf0.LONG_STRING
    assert encoded[1:5] == struct.pack(">I", 70_000)
    assert amf0.decode(encoded) == [text]


def test_a_connect_command_round_trips() -> None:
    values: list[amf0.Value] = [
        "connect",
        1.0,
        {
            "app": "live",
            "type": "nonprivate",
            "flashVer": "FMLE/3.0 (compatible; FMSc/1.0)",
            "tcUrl": "rtmp://127.0.0.1:1935/live",
            "fourCcList": ["av01", "hvc1"],
        },
    ]
    assert amf0.decode(amf0.encode(*values)) == values


def test_decode_value_reports_where_the_value_ends() -> None:
    payload = amf0.encode("@setDataFrame", "onMetaData", EcmaArray(duration=0.0))
    name, end = amf0.decode_value(payload)
    assert name == "@setDataFrame"
    assert amf0.decode(payload[end:])[0] == "onMetaData"


def test_utf8_strings() -> None:
    assert amf0.decode(amf0.encode("clé 🎥")) == ["clé 🎥"]


values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.just(UNDEFINED)
    | st.builds(Date, st.floats(allow_nan=False), st.integers(-32768, 32767)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4).map(EcmaArray)
    ),
    max_leaves=20,
)


@given(st.lists(values, max_size=5))
def test_round_trip(items: list[amf0.Value]) -> None:
    assert amf0.decode(amf0.encode(*items)) == items


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x00\x00\x00", id="truncated number"),
        pytest.param(b"\x01", id="truncated boolean"),
        pytest.param(b"\x02\x00\x05ab", id="string shorter than its length"),
        pytest.param(b"\x0c\xff\xff\xff\xffab", id="long string shorter than its length"),
        pytest.param(b"\x02\x00\x02\xff\xfe", id="string not UTF-8"),
        pytest.param(b"\x03\x00\x01a\x05", id="object never closed"),
        pytest.param(b"\x03\x00\x00\x05", id="object closed by a wrong marker"),
        pytest.param(b"\x08\x00\x00\x00\x01\x00\x01a\x05", id="ECMA array never closed"),
        pytest.param(b"\x0a\xff\xff\xff\xff\x05", id="strict array count overruns"),
        pytest.param(b"\x0a\x00\x00\x00\x02\x05", id="strict array short of items"),
        pytest.param(b"\x0b\x00\x00", id="truncated date"),
        pytest.param(b"\x09", id="object end alone"),
        pytest.param(b"\x07\x00\x01", id="reference (unsupported)"),
        pytest.param(b"\x10\x00\x01a", id="typed object (unsupported)"),
        pytest.param(b"\x11", id="switch to AMF3 (unsupported)"),
        pytest.param(b"\xff", id="unknown marker"),
        pytest.param(b"\x0a\x00\x00\x00\x01" * 100 + b"\x05", id="nested too deep"),
    ],
)
def test_malformed_input_raises_a_typed_error(data: bytes) -> None:
    with pytest.raises(Amf0Error):
        amf0.decode(data)


@given(st.binary(max_size=64))
def test_arbitrary_bytes_decode_or_raise_amf0_error(data: bytes) -> None:
    with contextlib.suppress(Amf0Error):
        amf0.decode(data)


def test_values_without_an_amf0_form_are_refused() -> None:
    with pytest.raises(TypeError):
        amf0.encode(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="property names"):
        amf0.encode({"": 1.0})
