"""HTTP header names and the base64-protobuf header values of the wire protocol (wire §7.1)."""

import base64
import binascii

from google.protobuf.message import DecodeError
from lpgw.wire.errors import MalformedPayment, MalformedSegment
from lpgw.wire.net import lp_rpc_pb2 as pb

SEGMENT_HEADER = "Livepeer-Segment"
PAYMENT_HEADER = "Livepeer-Payment"
AUTHORIZATION_HEADER = "Authorization"
AI_WORKER_AUTHORIZATION = "Livepeer-AI-Worker-1.0"
"""Authorization value on AI calls; without it some pipelines answer with data: URLs."""
BYOC_JOB_HEADER = "Livepeer"
ETH_ADDRESS_HEADER = "Livepeer-Eth-Address"
CAPABILITY_HEADER = "Livepeer-Capability"
BALANCE_HEADER = "Livepeer-Balance"
PAYMENT_BALANCE_HEADER = "Livepeer-Payment-Balance"
METADATA_HEADER = "X-Metadata"
ORCHESTRATOR_URL_HEADER = "X-Orchestrator-Url"
"""Gateway → application (BYOC and AI): the orchestrator that did the work."""
ORCH_SEARCH_TIMEOUT_HEADER = "Livepeer-Orch-Search-Timeout"
ORCH_SEARCH_RESP_TIMEOUT_HEADER = "Livepeer-Orch-Search-Resp-Timeout"

SEGMENT_CONTENT_TYPE = "video/MP2T"
URI_CONTENT_TYPE = "application/vnd+livepeer.uri"

TRICKLE_SEQ_HEADER = "Lp-Trickle-Seq"
TRICKLE_LATEST_HEADER = "Lp-Trickle-Latest"
TRICKLE_CLOSED_HEADER = "Lp-Trickle-Closed"
TRICKLE_RESET_HEADER = "Lp-Trickle-Reset"
EXPECT_CONTENT_HEADER = "Expect-Content"


def _b64decode(value: str) -> bytes:
    """Standard alphabet with `=` padding; URL-safe or unpadded values are malformed."""
    return base64.b64decode(value.encode("ascii"), validate=True)


def encode_segment(seg: pb.SegData) -> str:
    return base64.b64encode(seg.SerializeToString()).decode("ascii")


def decode_segment(value: str) -> pb.SegData:
    try:
        return pb.SegData.FromString(_b64decode(value))
    except (binascii.Error, UnicodeEncodeError, DecodeError) as exc:
        raise MalformedSegment() from exc


def encode_payment(payment: pb.Payment | None) -> str:
    """No payment (off-chain, zero price) is the empty string."""
    if payment is None:
        return ""
    return base64.b64encode(payment.SerializeToString()).decode("ascii")


def decode_payment(value: str) -> pb.Payment:
    """The empty string is an empty Payment, as orchestrators accept it."""
    try:
        return pb.Payment.FromString(_b64decode(value))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise MalformedPayment(f"payment header is not base64: {exc}") from exc
    except DecodeError as exc:
        raise MalformedPayment(f"payment header is not a Payment: {exc}") from exc
