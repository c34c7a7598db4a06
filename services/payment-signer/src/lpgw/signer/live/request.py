"""The body of `POST /generate-live-payment` (payments.md §11.2), checked. Pure.

Keys are matched case-insensitively like Go's encoding/json (the reference decoder), so
`ManifestID`, `manifestId` and `manifestid` are the same key; a later duplicate wins.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from lpgw.signer.errors import InvalidRequest
from lpgw.signer.keys.segments import checked_name
from lpgw.signer.policy.offer import Offer, decode_b64_message, decode_offer
from lpgw.wire.net import lp_rpc_pb2 as pb

JOB_TYPES = ("lv2v", "live", "fixed", "")
#: The unit a maxPrice must be quoted in for each job type. The price is wei per billable
#: unit of that type (lv2v: one pixel of the 1280×720×30-per-second stream; live: a second;
#: fixed: a call), directly comparable with the orchestrator's price per unit.
MAX_PRICE_UNITS = {"lv2v": "720p-pixel-seconds", "live": "seconds", "fixed": "fixed"}
MAX_STATE_BYTES = 8192
MAX_IN_PIXELS = 2**63 - 1


@dataclass(frozen=True)
class SignedState:
    state: bytes
    sig: bytes


@dataclass(frozen=True)
class LiveRequest:
    offer: Offer
    state: SignedState | None
    manifest_id: str | None
    app: str
    in_pixels: int
    job_type: str | None
    max_price: Fraction | None
    capabilities: pb.Capabilities | None


def folded(document: dict[str, Any]) -> dict[str, Any]:
    return {key.lower(): value for key, value in document.items()}


def _b64(value: object, name: str, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) > limit * 4 // 3 + 4:
        raise InvalidRequest(f"invalid {name}")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidRequest(f"invalid {name}") from None


def _state(value: object) -> SignedState | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest("invalid state")
    fields = folded(value)
    return SignedState(
        state=_b64(fields.get("state"), "state", MAX_STATE_BYTES),
        sig=_b64(fields.get("sig"), "sig", 128),
    )


def _max_price(value: object, job_type: str | None) -> Fraction | None:
    """The ceiling in wei per unit of work; the quoted unit must match the job type."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest("invalid maxPrice")
    fields = folded(value)
    if str(fields.get("currency", "")).lower() != "wei":
        raise InvalidRequest("maxPrice currency must be wei")
    expected = MAX_PRICE_UNITS.get(job_type or "")
    if expected is None or fields.get("unit") != expected:
        raise InvalidRequest("maxPrice unit does not match the job type")
    raw = fields.get("price")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidRequest("invalid maxPrice price")
    try:
        price = Fraction(Decimal(str(raw)))
    except (InvalidOperation, ValueError, OverflowError):
        raise InvalidRequest("invalid maxPrice price") from None
    if price <= 0:
        raise InvalidRequest("maxPrice price must be positive")
    return price


def _capabilities(value: str | None) -> pb.Capabilities | None:
    if value is None:
        return None
    return pb.Capabilities.FromString(decode_b64_message(value, "capabilities", pb.Capabilities))


def parse_live_request(body: bytes) -> LiveRequest:
    """400s in the reference's order: body, OrchestratorInfo, price, ticket params."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidRequest("invalid request body") from None
    if not isinstance(document, dict):
        raise InvalidRequest("invalid request body")
    fields = folded(document)
    job_type = fields.get("type")
    if job_type is not None and job_type not in JOB_TYPES:
        raise InvalidRequest("invalid job type")
    in_pixels = fields.get("inpixels", 0)
    if isinstance(in_pixels, bool) or not isinstance(in_pixels, int):
        raise InvalidRequest("inPixels must be an integer")
    if not 0 <= in_pixels <= MAX_IN_PIXELS:
        raise InvalidRequest("inPixels out of range")
    app = fields.get("app", "")
    if not isinstance(app, str) or len(app) > 128:
        raise InvalidRequest("invalid app")
    manifest = fields.get("manifestid")
    manifest_id = None if manifest in (None, "") else checked_name(manifest, "ManifestID")
    capabilities = fields.get("capabilities")
    if capabilities is not None and not isinstance(capabilities, str):
        raise InvalidRequest("capabilities must be a base64 string")
    offer = decode_offer(
        decode_b64_message(fields.get("orchestrator"), "orchestrator", pb.OrchestratorInfo)
    )
    price = offer.info.price_info
    if not offer.info.HasField("price_info") or price.pricePerUnit <= 0 or price.pixelsPerUnit <= 0:
        raise InvalidRequest("missing or zero priceInfo")
    if offer.params is None:
        raise InvalidRequest("missing ticketParams in OrchestratorInfo")
    state = _state(fields.get("state"))
    if state is not None and manifest_id is None:
        raise InvalidRequest("missing manifestID")
    return LiveRequest(
        offer=offer,
        state=state,
        manifest_id=manifest_id,
        app=app,
        in_pixels=in_pixels,
        job_type=job_type,
        max_price=_max_price(fields.get("maxprice"), job_type),
        capabilities=_capabilities(capabilities or None),
    )
