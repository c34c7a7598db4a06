"""Private keys sign but never show their secret."""

import pickle

import pytest
from lpgw.eth import InvalidKey, PrivateKey
from lpgw.eth.signatures import SECP256K1_N

SECRET = bytes.fromhex("11" * 32)


def test_repr_and_str_show_only_the_address() -> None:
    key = PrivateKey(SECRET)
    for text in (repr(key), str(key), f"{key}", f"{key!r}", repr([key])):
        assert "11" * 8 not in text
        assert SECRET.hex() not in text
        assert key.checksum_address in text


def test_keys_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(PrivateKey(SECRET))


def test_secret_bytes_round_trip() -> None:
    key = PrivateKey.generate()
    assert PrivateKey(key.secret_bytes()).address == key.address


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(bytes(32), id="zero"),
        pytest.param(SECP256K1_N.to_bytes(32, "big"), id="curve order"),
        pytest.param(b"\x01" * 31, id="31 bytes"),
    ],
)
def test_invalid_secrets_are_refused_without_echoing_them(secret: bytes) -> None:
    with pytest.raises(InvalidKey) as info:
        PrivateKey(secret)
    assert secret.hex() not in str(info.value)
