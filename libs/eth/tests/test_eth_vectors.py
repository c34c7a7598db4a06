"""Keccak, signature-recovery and PersonalSign vectors of vectors/pm.json, one case per vector."""

import json
from pathlib import Path
from typing import Any

import pytest
from lpgw.eth import (
    InvalidSignature,
    PrivateKey,
    eip191_digest,
    keccak256,
    parse_address,
    recover_personal,
    verify_personal,
)

REPO = Path(__file__).resolve().parents[3]
GROUPS: dict[str, list[dict[str, Any]]] = json.loads((REPO / "vectors" / "pm.json").read_text())[
    "groups"
]


def cases(group: str) -> list[Any]:
    return [pytest.param(vector, id=vector["id"]) for vector in GROUPS[group]]


@pytest.mark.parametrize("vector", cases("keccak"))
def test_keccak(vector: dict[str, Any]) -> None:
    data = bytes.fromhex(vector["inputs"]["data_hex"])
    assert keccak256(data).hex() == vector["expected"]["keccak256_hex"]


@pytest.mark.parametrize("vector", cases("signature_recovery"))
def test_signature_recovery(vector: dict[str, Any]) -> None:
    message = bytes.fromhex(vector["inputs"]["message_hex"])
    sig = bytes.fromhex(vector["inputs"]["signature_hex"])
    expected = vector["expected"]
    if "error" in expected:
        with pytest.raises(InvalidSignature) as info:
            recover_personal(message, sig)
        assert str(info.value) == expected["error"]
        assert expected["valid"] is False
        return
    assert eip191_digest(message).hex() == expected["eip191_digest_hex"]
    address = parse_address(expected["recovered_address"])
    assert recover_personal(message, sig) == address
    assert verify_personal(message, sig, address) is expected["valid"]


def _remote_signer_state(inputs: dict[str, Any], expected: dict[str, Any]) -> None:
    key = PrivateKey(bytes.fromhex(inputs["private_key_hex"]))
    state = inputs["state_bytes_utf8"].encode()
    assert eip191_digest(state).hex() == expected["eip191_digest_hex"]
    sig = key.personal_sign(state)
    assert sig.hex() == expected["signature_hex"]
    assert recover_personal(state, sig) == key.address


def _transcode_result(inputs: dict[str, Any], expected: dict[str, Any]) -> None:
    key = PrivateKey(bytes.fromhex(inputs["orchestrator_private_key_hex"]))
    assert key.checksum_address == expected["orchestrator_address"]
    renditions = [r.encode() for r in inputs["rendition_bytes_utf8"]]
    signed = keccak256(b"".join(keccak256(r) for r in renditions))
    assert signed.hex() == expected["signed_hash_hex"]
    sig = key.personal_sign(signed)
    assert sig.hex() == expected["signature_hex"]
    assert verify_personal(signed, sig, parse_address(expected["orchestrator_address"]))


OTHER_SIGNATURES = {
    "remote-signer-state-derived-1": _remote_signer_state,
    "transcode-result-sig-derived-1": _transcode_result,
}


@pytest.mark.parametrize("vector", cases("other_signatures"))
def test_other_signatures(vector: dict[str, Any]) -> None:
    OTHER_SIGNATURES[vector["id"]](vector["inputs"], vector["expected"])
