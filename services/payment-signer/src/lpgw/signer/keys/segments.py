"""Segment credentials (`Livepeer-Segment`): the SegData the signer signs for a payment.

Why every caller-supplied string is checked strictly (printable ASCII, at most 128 chars):
the SegData signature is Sign(m) = PersonalSign(keccak256(m)) over
m = manifestId ‖ pad32(seq) ‖ hash ‖ profile hex, and a ticket signature is exactly
PersonalSign(keccak256(ticket preimage)) = Sign(preimage). If callers could choose the bytes
of m freely, this endpoint would be a free-form Sign(m) oracle: a caller could send a ticket
preimage (any recipient, any face value) as the "manifest id" and get back a valid ticket
signature that no nonce counter, EV cap or budget ever saw. A preimage starts with two raw
20-byte addresses (ours among them) and needs full control of 232 bytes; printable-only,
bounded strings, a bounded seq and a fixed hash for AI leave no way to build one. Pure.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lpgw.eth import KECCAK_EMPTY
from lpgw.signer.errors import InvalidRequest
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import LEGACY_PROFILES, sign_segdata
from lpgw.wire.signers import MessageSigner

MAX_NAME_LENGTH = 128
MAX_PROFILES = 16
MAX_SEQ = 2**63 - 1
SEGMENT_HASH_BYTES = 32
_PRINTABLE = re.compile(r"[\x20-\x7e]+")


def checked_name(value: object, field: str) -> str:
    """A non-empty printable-ASCII string of at most 128 characters (see the module doc)."""
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a string")
    if not value:
        raise InvalidRequest(f"{field} must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidRequest(f"{field} is longer than {MAX_NAME_LENGTH} characters")
    if not _PRINTABLE.fullmatch(value):
        raise InvalidRequest(f"{field} must be printable ASCII")
    return value


@dataclass(frozen=True)
class Segment:
    """A transcoding segment's signed fields; AI requests use `Segment.ai()`."""

    seq: int
    hash: bytes
    profiles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.seq <= MAX_SEQ:
            raise InvalidRequest("segment seq must be between 0 and 2**63 - 1")
        if len(self.hash) != SEGMENT_HASH_BYTES:
            raise InvalidRequest("segment hash must be 32 bytes")
        if len(self.profiles) > MAX_PROFILES:
            raise InvalidRequest(f"segment has more than {MAX_PROFILES} profiles")
        for name in self.profiles:
            checked_name(name, "segment profile")

    @classmethod
    def ai(cls) -> "Segment":
        """Batch and live AI: sequence 0 and the hash of empty data."""
        return cls(seq=0, hash=KECCAK_EMPTY)


def segment_credentials(
    *,
    manifest_id: str,
    segment: Segment,
    auth_token: pb.AuthToken,
    capabilities: pb.Capabilities | None,
    signer: MessageSigner,
) -> pb.SegData:
    """Signed SegData: manifestId = the orchestrator's balance bucket.

    Profiles are named in `fullProfiles3`; only their names are signed, so a caller may fill
    the other fields of the same profiles before sending.
    """
    seg = pb.SegData(
        manifestId=checked_name(manifest_id, "manifest id").encode("ascii"),
        seq=segment.seq,
        hash=segment.hash,
        profiles=LEGACY_PROFILES,
    )
    seg.fullProfiles3.extend(pb.VideoProfile(name=name) for name in segment.profiles)
    seg.auth_token.CopyFrom(auth_token)
    if capabilities is not None:
        seg.capabilities.CopyFrom(capabilities)
    sign_segdata(seg, signer)
    return seg


def profile_names(value: Sequence[object]) -> tuple[str, ...]:
    return tuple(checked_name(name, "segment profile") for name in value)
