"""Livepeer-Segment and Livepeer-Payment header values: standard padded base64 of protobuf."""

import base64

import pytest
from lpgw.wire.errors import MalformedHeader, MalformedPayment, MalformedSegment
from lpgw.wire.headers import (
    AI_WORKER_AUTHORIZATION,
    PAYMENT_HEADER,
    SEGMENT_HEADER,
    decode_payment,
    decode_segment,
    encode_payment,
    encode_segment,
)
from lpgw.wire.net import lp_rpc_pb2 as pb


def test_header_names() -> None:
    assert SEGMENT_HEADER == "Livepeer-Segment"
    assert PAYMENT_HEADER == "Livepeer-Payment"
    assert AI_WORKER_AUTHORIZATION == "Livepeer-AI-Worker-1.0"


def test_segment_round_trip_uses_standard_padded_base64() -> None:
    seg = pb.SegData(manifestId=b"27_m\xff\xfe", hash=b"\xfb" * 32, profiles=b"invalid")
    value = encode_segment(seg)
    assert value == base64.standard_b64encode(seg.SerializeToString()).decode()
    assert value.endswith("=") or len(value) % 4 == 0
    assert decode_segment(value) == seg


def test_payment_round_trip() -> None:
    payment = pb.Payment(sender=b"\x11" * 20)
    payment.ticket_sender_params.add(sender_nonce=1, sig=b"\x22" * 65)
    assert decode_payment(encode_payment(payment)) == payment


def test_no_payment_is_the_empty_string() -> None:
    assert encode_payment(None) == ""
    assert decode_payment("") == pb.Payment()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("not base64!", id="outside the alphabet"),
        pytest.param("CgE", id="missing padding"),
        pytest.param(base64.urlsafe_b64encode(b"\xfb\xff\xfe").decode(), id="url-safe alphabet"),
        pytest.param(base64.b64encode(b"\x0a\x05ab").decode(), id="truncated protobuf"),
        pytest.param("é", id="not ascii"),
    ],
)
def test_malformed_headers_raise_typed_errors(value: str) -> None:
    with pytest.raises(MalformedSegment) as seg_error:
        decode_segment(value)
    assert str(seg_error.value) == "ErrorSegEncoding"
    with pytest.raises(MalformedPayment):
        decode_payment(value)
    assert issubclass(MalformedPayment, MalformedHeader)
