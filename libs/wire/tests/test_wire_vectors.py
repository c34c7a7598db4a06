"""Upstream and derived vectors of vectors/pm.json: one case per vector of each group."""

import json
from pathlib import Path
from typing import Any

import pytest
from lpgw.eth import (
    PrivateKey,
    eip191_digest,
    keccak256,
    parse_address,
    recover_sign,
    verify_sign,
)
from lpgw.wire.auth_token import auth_token_mac, auth_token_message
from lpgw.wire.capabilities import decode_bitstring, encode_bitstring
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import (
    build_orchestrator_request,
    orchestrator_request_message,
    sign_orchestrator_request,
    verify_orchestrator_request,
)
from lpgw.wire.segdata import flatten, flatten_segdata, profiles_hex, sign_segdata, verify_segdata

REPO = Path(__file__).resolve().parents[3]
GROUPS: dict[str, list[dict[str, Any]]] = json.loads((REPO / "vectors" / "pm.json").read_text())[
    "groups"
]


def cases(group: str) -> list[Any]:
    return [pytest.param(vector, id=vector["id"]) for vector in GROUPS[group]]


@pytest.mark.parametrize("vector", cases("orchestrator_request_sig"))
def test_orchestrator_request_signature(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    if "private_key_hex" not in inputs:
        # A signature over the lowercase string recovers another address: rejected.
        message = inputs["message_utf8"].encode()
        sig = bytes.fromhex(inputs["signature_hex"])
        assert keccak256(message).hex() == expected["keccak_message_hex"]
        assert recover_sign(message, sig) == parse_address(expected["recovered_address"])
        valid_for = parse_address(expected["valid_for_address"])
        assert verify_sign(message, sig, valid_for) is expected["valid"]
        assert message != orchestrator_request_message(valid_for)
        return
    key = PrivateKey(bytes.fromhex(inputs["private_key_hex"]))
    address, sig = sign_orchestrator_request(key)
    assert address.hex() == expected["address_bytes_hex"]
    message = orchestrator_request_message(address)
    assert message.decode() == expected["message_utf8"]
    assert message.hex() == expected["message_hex"]
    assert keccak256(message).hex() == expected["keccak_message_hex"]
    assert eip191_digest(keccak256(message)).hex() == expected["eip191_digest_hex"]
    assert sig.hex() == expected["signature_hex"]
    request = build_orchestrator_request(address, sig)
    assert request.address == address
    assert verify_orchestrator_request(request)
    assert recover_sign(message, sig) == parse_address(expected["recovered_address"])


@pytest.mark.parametrize("vector", cases("segdata_flatten"))
def test_segdata_flatten(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    manifest_id = inputs["manifest_id"].encode()
    seq = int(inputs["seq"])
    segment_hash = bytes.fromhex(inputs["segment_hash_hex"])
    names = inputs["profile_names"]
    assert profiles_hex(names).decode() == expected["profiles_hex_ascii"]
    flat = flatten(manifest_id, seq, segment_hash, names)
    assert flat.hex() == expected["flatten_hex"]
    assert keccak256(flat).hex() == expected["keccak_flatten_hex"]
    seg = pb.SegData(
        manifestId=manifest_id,
        seq=seq,
        hash=segment_hash,
        profiles=b"invalid",
        fullProfiles3=[pb.VideoProfile(name=name, width=426, height=240) for name in names],
    )
    assert flatten_segdata(seg) == flat
    if "private_key_hex" in inputs:
        key = PrivateKey(bytes.fromhex(inputs["private_key_hex"]))
        sign_segdata(seg, key)
        assert eip191_digest(keccak256(flat)).hex() == expected["eip191_digest_hex"]
        assert seg.sig.hex() == expected["signature_hex"]
        verify_segdata(seg, parse_address(expected["recovered_address"]))


@pytest.mark.parametrize("vector", cases("capabilities_bitstring"))
def test_capabilities_bitstring(vector: dict[str, Any]) -> None:
    ids = [int(n) for n in vector["inputs"]["capabilities"]]
    words = encode_bitstring(ids)
    assert words == [int(w) for w in vector["expected"]["bitstring"]]
    assert [f"{w:016x}" for w in words] == vector["expected"]["bitstring_hex"]
    assert decode_bitstring(words) == set(ids)
    caps = pb.Capabilities(bitstring=words)
    assert list(pb.Capabilities.FromString(caps.SerializeToString()).bitstring) == words


@pytest.mark.parametrize("vector", cases("auth_token_hmac"))
def test_auth_token_hmac(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    session_id, expiration = inputs["session_id"], int(inputs["expiration"])
    assert auth_token_message(session_id, expiration).hex() == expected["hmac_message_hex"]
    secret = bytes.fromhex(inputs["orchestrator_secret_hex"])
    assert auth_token_mac(secret, session_id, expiration).hex() == expected["token_hex"]
