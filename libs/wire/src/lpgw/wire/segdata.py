"""Segment credentials (`SegData`): the signed bytes (Flatten, wire §4.2) and the AI form.

A gateway signs Flatten(SegData) with Sign(m); an orchestrator rebuilds Flatten from what it
decoded and checks the signature. Storage, duration, capabilities and the auth token are not
signed.
"""

from collections.abc import Sequence

from lpgw.eth import KECCAK_EMPTY, InvalidSignature, keccak256, recover_sign
from lpgw.wire.capabilities import capability_for_pipeline
from lpgw.wire.errors import InvalidSegmentSignature
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.signers import MessageSigner

LEGACY_PROFILES = b"invalid"
"""What go-livepeer puts in the legacy `profiles` field; orchestrators read `fullProfiles*`."""

_WORD = 32


def profiles_hex(names: Sequence[str]) -> bytes:
    """ASCII hex of the first 4 bytes of keccak256(name), per profile, in order."""
    return b"".join(keccak256(name.encode()).hex()[:8].encode() for name in names)


def flatten(
    manifest_id: bytes, seq: int, segment_hash: bytes, profile_names: Sequence[str]
) -> bytes:
    """manifestId ‖ pad32(seq) ‖ hash(32) ‖ profiles hex.

    Like go-livepeer, the sequence number is taken as its absolute value and the hash is
    left-padded (or cut to its last 32 bytes).
    """
    seq_bytes = abs(seq).to_bytes(_WORD, "big")
    hash_bytes = segment_hash[-_WORD:].rjust(_WORD, b"\0")
    return manifest_id + seq_bytes + hash_bytes + profiles_hex(profile_names)


def segdata_profile_names(seg: pb.SegData) -> list[str]:
    """Profile names the orchestrator sees: the first non-empty of fullProfiles3, 2, 1."""
    for profiles in (seg.fullProfiles3, seg.fullProfiles2, seg.fullProfiles):
        if profiles:
            return [profile.name for profile in profiles]
    return []


def flatten_segdata(seg: pb.SegData) -> bytes:
    """The bytes `SegData.sig` signs."""
    return flatten(seg.manifestId, seg.seq, seg.hash, segdata_profile_names(seg))


def ai_manifest_id(pipeline: str, model_id: str) -> str:
    """`"<capId>_<modelId>"`, the manifest id of a batch AI request."""
    return f"{int(capability_for_pipeline(pipeline))}_{model_id}"


def ai_segdata(
    pipeline: str,
    model_id: str,
    auth_token: pb.AuthToken,
    capabilities: pb.Capabilities | None,
    signer: MessageSigner | None,
) -> pb.SegData:
    """Credentials of one batch AI request (empty segment, seq 0).

    Without a signer `sig` stays empty, as an off-chain gateway sends it.
    """
    seg = pb.SegData(
        manifestId=ai_manifest_id(pipeline, model_id).encode(),
        seq=0,
        hash=KECCAK_EMPTY,
        profiles=LEGACY_PROFILES,
    )
    seg.auth_token.CopyFrom(auth_token)
    if capabilities is not None:
        seg.capabilities.CopyFrom(capabilities)
    if signer is not None:
        sign_segdata(seg, signer)
    return seg


def sign_segdata(seg: pb.SegData, signer: MessageSigner) -> None:
    """Set `seg.sig` to Sign(Flatten(seg)); sign last, after every signed field is final."""
    seg.sig = signer.sign(flatten_segdata(seg))


def verify_segdata(seg: pb.SegData, address: bytes) -> None:
    """Raise InvalidSegmentSignature unless `seg.sig` is Sign(Flatten(seg)) by `address`."""
    try:
        signer = recover_sign(flatten_segdata(seg), seg.sig)
    except InvalidSignature as exc:
        raise InvalidSegmentSignature() from exc
    if signer != address:
        raise InvalidSegmentSignature()
