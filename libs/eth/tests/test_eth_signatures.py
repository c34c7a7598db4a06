"""Sign / PersonalSign and the orchestrator's signature-form checks, with the reference texts."""

import pytest
from lpgw.eth import (
    InvalidSignature,
    PrivateKey,
    check_form,
    keccak256,
    recover_digest,
    recover_personal,
    recover_sign,
    verify_sign,
)
from lpgw.eth.signatures import SECP256K1_N

KEY = PrivateKey(bytes.fromhex("11" * 32))
MESSAGE = b"0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"


def high_s(sig: bytes) -> bytes:
    """The same signature with s' = n - s and v flipped: valid maths, refused by Livepeer."""
    s = int.from_bytes(sig[32:64], "big")
    return sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])


def test_sign_is_personal_sign_of_keccak() -> None:
    sig = KEY.sign(MESSAGE)
    assert sig == KEY.personal_sign(keccak256(MESSAGE))
    assert len(sig) == 65 and sig[64] in (27, 28)
    assert recover_sign(MESSAGE, sig) == KEY.address
    assert recover_personal(keccak256(MESSAGE), sig) == KEY.address
    assert verify_sign(MESSAGE, sig, KEY.address)
    assert not verify_sign(MESSAGE + b"!", sig, KEY.address)


def test_signatures_are_deterministic_and_low_s() -> None:
    sigs = {KEY.sign(bytes([n])) for n in range(20)} | {KEY.sign(MESSAGE)}
    assert KEY.sign(MESSAGE) in sigs
    assert all(int.from_bytes(sig[32:64], "big") <= SECP256K1_N // 2 for sig in sigs)


@pytest.mark.parametrize(
    ("mangle", "text"),
    [
        pytest.param(high_s, "signature s value too high", id="high s"),
        pytest.param(
            lambda s: s[:64] + bytes([s[64] - 27]), "signature v value must be 27 or 28", id="v 0/1"
        ),
        pytest.param(lambda s: s[:64], "invalid signature length", id="64 bytes"),
        pytest.param(lambda s: s + b"\0", "invalid signature length", id="66 bytes"),
        pytest.param(lambda s: b"", "invalid signature length", id="empty"),
    ],
)
def test_malformed_signatures_are_refused_with_reference_texts(mangle: object, text: str) -> None:
    bad = mangle(KEY.sign(MESSAGE))  # type: ignore[operator]
    with pytest.raises(InvalidSignature) as info:
        recover_sign(MESSAGE, bad)
    assert str(info.value) == text
    with pytest.raises(InvalidSignature):
        check_form(bad)
    assert not verify_sign(MESSAGE, bad, KEY.address)


def test_digest_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        KEY.sign_digest(b"short")


def test_unrecoverable_signature_is_invalid() -> None:
    with pytest.raises(InvalidSignature):
        recover_digest(bytes(32), bytes(64) + b"\x1b")
