"""Bodies of the payment-session API and the checked orders they become. Pure.

Everything a caller sends is validated here, before any Redis or NATS call, so a bad request
changes nothing: no nonce, no credit, no budget, no audit event.
"""

import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal

from lpgw.signer.errors import InvalidRequest
from lpgw.signer.keys.segments import Segment, checked_name, profile_names
from lpgw.signer.policy.offer import Offer, decode_b64_message, decode_offer
from lpgw.wire.net import lp_rpc_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field

#: Units are multiplied by prices of up to int64; int64 units keep fees sane.
MAX_UNITS = 2**63 - 1

Units = Annotated[int, Field(strict=True, ge=0, le=MAX_UNITS)]
Text = Annotated[str, Field(strict=True, max_length=4096)]


class OpenBody(BaseModel):
    """`POST /v1/sessions`."""

    model_config = ConfigDict(extra="forbid")
    orchestrator: Annotated[str, Field(strict=True, max_length=400_000)] = Field(
        description="base64 protobuf OrchestratorInfo, as received from the orchestrator"
    )
    pipeline: Text = Field(description="for price ceilings (`transcoding` for video)")
    model_id: Text = Field(description="for price ceilings")
    bucket: Text = Field(description="the orchestrator's balance bucket (SegData.manifestId)")
    capabilities: Text | None = Field(
        default=None, description="base64 protobuf Capabilities, copied into the SegData"
    )


class SegmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)]
    hash_hex: Annotated[str, Field(strict=True, pattern=r"^(0x)?[0-9a-fA-F]{64}$")]
    profiles: list[Text] = Field(default_factory=list, max_length=16)


class PayBody(BaseModel):
    """`POST /v1/sessions/{session_id}/payments`."""

    model_config = ConfigDict(extra="forbid")
    units: Units = Field(description="billable units of this request (fee = units × price)")
    idempotency_key: Text = Field(
        description="unique per request; a call repeated with it gets the same payment"
    )
    job: Text = Field(default="", description="job or stream id: per-job budget and audit")
    segment: SegmentBody | None = Field(
        default=None, description="transcoding segment; absent = AI (seq 0, keccak(empty))"
    )
    account: Text = Field(
        default="", description="API key id the request is made for: its spend is counted"
    )


class SettleBody(BaseModel):
    """`POST /v1/payments/{payment_id}/settle`."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["received", "spent", "staged"]
    debit_units: Units | None = None


@dataclass(frozen=True)
class OpenOrder:
    """A checked `POST /v1/sessions`; `info` and `capabilities` are the bytes as received."""

    offer: Offer
    info: bytes
    pipeline: str
    model_id: str
    bucket: str
    capabilities: bytes


@dataclass(frozen=True)
class PayOrder:
    units: int
    idempotency_key: str
    job: str
    segment: Segment | None
    fingerprint: str
    """What identifies the request behind the idempotency key: the body without the key."""
    account: str = ""
    """The API key id whose spend the fee is added to ("": none)."""


def open_order(body: OpenBody) -> OpenOrder:
    info = decode_b64_message(body.orchestrator, "orchestrator", pb.OrchestratorInfo)
    capabilities = b""
    if body.capabilities is not None:
        capabilities = decode_b64_message(body.capabilities, "capabilities", pb.Capabilities)
    return OpenOrder(
        offer=decode_offer(info),
        info=info,
        pipeline=checked_name(body.pipeline, "pipeline"),
        model_id=checked_name(body.model_id, "model_id"),
        bucket=checked_name(body.bucket, "bucket"),
        capabilities=capabilities,
    )


def pay_order(body: PayBody) -> PayOrder:
    segment = None
    if body.segment is not None:
        segment = Segment(
            seq=body.segment.seq,
            hash=bytes.fromhex(body.segment.hash_hex.removeprefix("0x")),
            profiles=profile_names(body.segment.profiles),
        )
    # Without an account the body is fingerprinted as before the field existed, so a retry
    # answered by a replica of either version is recognised as the same request.
    omitted = {"idempotency_key"} if body.account else {"idempotency_key", "account"}
    canonical = body.model_dump_json(exclude=omitted)
    return PayOrder(
        units=body.units,
        idempotency_key=checked_name(body.idempotency_key, "idempotency_key"),
        job=checked_name(body.job, "job") if body.job else "",
        segment=segment,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest()[:32],
        account=checked_name(body.account, "account") if body.account else "",
    )


def checked_id(value: str, what: str) -> str:
    """Session and payment ids are 32 lowercase hex digits; others are unknown by shape."""
    if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidRequest(f"{what} must be 32 lowercase hex digits")
    return value
