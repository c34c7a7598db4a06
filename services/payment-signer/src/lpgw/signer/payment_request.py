"""Bodies of `POST /v1/payments` and `/complete`, and the checked order they become. Pure.

Everything a caller sends is validated here, before any Redis or NATS call, so a bad request
changes nothing: no nonce, no credit, no budget, no audit event.
"""

import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal

from lpgw.signer.errors import InvalidRequest
from lpgw.signer.offer import Offer, decode_b64_message, decode_offer
from lpgw.signer.segments import Segment, checked_name, profile_names
from lpgw.wire.net import lp_rpc_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field

#: Units are multiplied by prices of up to int64; int64 units keep fees sane.
MAX_UNITS = 2**63 - 1

Units = Annotated[int, Field(strict=True, ge=0, le=MAX_UNITS)]
Text = Annotated[str, Field(strict=True, max_length=4096)]


class SegmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)]
    hash_hex: Annotated[str, Field(strict=True, pattern=r"^(0x)?[0-9a-fA-F]{64}$")]
    profiles: list[Text] = Field(default_factory=list, max_length=16)


class PaymentBody(BaseModel):
    """`POST /v1/payments`."""

    model_config = ConfigDict(extra="forbid")
    orchestrator: Annotated[str, Field(strict=True, max_length=400_000)] = Field(
        description="base64 protobuf OrchestratorInfo, as received from the orchestrator"
    )
    bucket: Text = Field(description="the orchestrator's balance bucket (SegData.manifestId)")
    units: Units = Field(description="billable units of this request (fee = units × price)")
    pipeline: Text
    model_id: Text
    session: Text = Field(default="", description="job or stream id: session budget, audit")
    capabilities: Text | None = Field(
        default=None, description="base64 protobuf Capabilities, copied into the SegData"
    )
    segment: SegmentBody | None = Field(
        default=None, description="transcoding segment; absent = AI (seq 0, keccak(empty))"
    )
    idempotency_key: Text | None = Field(
        default=None, description="a retry with the same key gets the same payment"
    )


class CompleteBody(BaseModel):
    """`POST /v1/payments/{payment_id}/complete`."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["received", "spent", "staged"]
    debit_units: Units | None = None


@dataclass(frozen=True)
class PaymentOrder:
    """A fully checked `POST /v1/payments` request."""

    offer: Offer
    bucket: str
    units: int
    pipeline: str
    model_id: str
    session: str
    capabilities: pb.Capabilities | None
    segment: Segment
    idempotency_key: str = ""
    fingerprint: str = ""


def decode_capabilities(value: str | None) -> pb.Capabilities | None:
    if value is None:
        return None
    return pb.Capabilities.FromString(decode_b64_message(value, "capabilities", pb.Capabilities))


def payment_order(body: PaymentBody) -> PaymentOrder:
    segment = Segment.ai()
    if body.segment is not None:
        segment = Segment(
            seq=body.segment.seq,
            hash=bytes.fromhex(body.segment.hash_hex.removeprefix("0x")),
            profiles=profile_names(body.segment.profiles),
        )
    session = checked_name(body.session, "session") if body.session else ""
    key = body.idempotency_key
    idempotency_key = "" if key is None else checked_name(key, "idempotency_key")
    return PaymentOrder(
        offer=decode_offer(body.orchestrator),
        bucket=checked_name(body.bucket, "bucket"),
        units=body.units,
        pipeline=checked_name(body.pipeline, "pipeline"),
        model_id=checked_name(body.model_id, "model_id"),
        session=session,
        capabilities=decode_capabilities(body.capabilities),
        segment=segment,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint(body),
    )


def fingerprint(body: PaymentBody) -> str:
    """What identifies the request behind an idempotency key: the body without the key."""
    canonical = body.model_dump_json(exclude={"idempotency_key"})
    return hashlib.sha256(canonical.encode()).hexdigest()


def checked_payment_id(value: str) -> str:
    """Payment ids are 32 lowercase hex digits (uuid4().hex); others are unknown by shape."""
    if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidRequest("payment id must be 32 lowercase hex digits")
    return value
