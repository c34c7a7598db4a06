"""AI segment credentials: what a gateway sends and what an orchestrator accepts."""

import pytest
from lpgw.eth import KECCAK_EMPTY, PrivateKey
from lpgw.wire.capabilities import ai_job_capabilities
from lpgw.wire.errors import InvalidSegmentSignature
from lpgw.wire.headers import decode_segment, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import ai_manifest_id, ai_segdata, flatten_segdata, verify_segdata

KEY = PrivateKey(bytes.fromhex("11" * 32))
OTHER = PrivateKey(bytes.fromhex("22" * 32))
MODEL = "stabilityai/sdxl-turbo"
TOKEN = pb.AuthToken(token=b"\x01" * 32, session_id="f1405ced", expiration=1700001800)


def test_ai_segdata_fields() -> None:
    caps = ai_job_capabilities("text-to-image", MODEL, warm=True)
    seg = ai_segdata("text-to-image", MODEL, TOKEN, caps, KEY)
    assert seg.manifestId == b"27_stabilityai/sdxl-turbo"
    assert seg.seq == 0
    assert seg.hash == KECCAK_EMPTY
    assert seg.profiles == b"invalid"
    assert seg.auth_token == TOKEN
    assert seg.capabilities == caps
    assert len(seg.sig) == 65


def test_ai_segdata_signature_matches_the_upstream_vector() -> None:
    seg = ai_segdata("text-to-image", MODEL, TOKEN, None, KEY)
    assert seg.sig.hex() == (
        "37ed33947284f1ec073047b70ba7e0b009d35d31d32201b6919ca776aae3eba6"
        "0dcfb86d369463c18d0771dbc99592bef9783b84699fa9b12c21dcabb2f44fea1c"
    )
    assert not seg.HasField("capabilities")


def test_off_chain_segdata_has_no_signature() -> None:
    seg = ai_segdata("llm", "meta-llama/Llama-3.1-8B-Instruct", TOKEN, None, None)
    assert seg.sig == b""
    assert seg.manifestId.decode() == ai_manifest_id("llm", "meta-llama/Llama-3.1-8B-Instruct")


def test_signature_survives_the_header_and_verifies() -> None:
    seg = ai_segdata(
        "text-to-image", MODEL, TOKEN, ai_job_capabilities("text-to-image", MODEL), KEY
    )
    received = decode_segment(encode_segment(seg))
    verify_segdata(received, KEY.address)


def test_unsigned_fields_do_not_break_the_signature() -> None:
    seg = ai_segdata("text-to-image", MODEL, TOKEN, None, KEY)
    seg.duration = 2000
    seg.auth_token.expiration += 1
    seg.capabilities.CopyFrom(ai_job_capabilities("text-to-image", MODEL))
    verify_segdata(seg, KEY.address)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda s: setattr(s, "manifestId", b"27_other"), id="manifest id changed"),
        pytest.param(lambda s: setattr(s, "seq", 1), id="seq changed"),
        pytest.param(lambda s: setattr(s, "hash", b"\0" * 32), id="hash changed"),
        pytest.param(lambda s: s.fullProfiles3.add(name="P240p30fps16x9"), id="profile added"),
        pytest.param(lambda s: setattr(s, "sig", b""), id="signature missing"),
        pytest.param(lambda s: setattr(s, "sig", s.sig[:64] + b"\x01"), id="v of 0/1"),
    ],
)
def test_tampered_segdata_is_refused(tamper: object) -> None:
    seg = ai_segdata("text-to-image", MODEL, TOKEN, None, KEY)
    tamper(seg)  # type: ignore[operator]
    with pytest.raises(InvalidSegmentSignature) as info:
        verify_segdata(seg, KEY.address)
    assert str(info.value) == "ErrSegSig"


def test_segdata_signed_by_another_key_is_refused() -> None:
    seg = ai_segdata("text-to-image", MODEL, TOKEN, None, OTHER)
    with pytest.raises(InvalidSegmentSignature):
        verify_segdata(seg, KEY.address)


def test_flatten_prefers_full_profiles3() -> None:
    seg = pb.SegData(manifestId=b"m", hash=KECCAK_EMPTY)
    seg.fullProfiles.add(name="old")
    seg.fullProfiles3.add(name="new")
    expected = pb.SegData(manifestId=b"m", hash=KECCAK_EMPTY)
    expected.fullProfiles.add(name="new")
    assert flatten_segdata(seg) == flatten_segdata(expected)
