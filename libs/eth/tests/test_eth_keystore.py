"""v3 keystores: what we write, others can read, and what others write, we can read."""

import copy
import inspect
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from lpgw.eth import KeystoreError, PrivateKey
from lpgw.eth.keystore import WRONG_PASSWORD, decrypt, encrypt, load, save

SMALL_N = 2**10

# The Web3 Secret Storage Definition's published test vectors (password "testpassword").
WEB3_SECRET = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
WEB3_PBKDF2: dict[str, Any] = {
    "crypto": {
        "cipher": "aes-128-ctr",
        "cipherparams": {"iv": "6087dab2f9fdbbfaddc31a909735c1e6"},
        "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
        "kdf": "pbkdf2",
        "kdfparams": {
            "c": 262144,
            "dklen": 32,
            "prf": "hmac-sha256",
            "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
        },
        "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
    },
    "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
    "version": 3,
}
WEB3_SCRYPT: dict[str, Any] = {
    "crypto": {
        "cipher": "aes-128-ctr",
        "cipherparams": {"iv": "83dbcc02d8ccb40e466191a123791e0e"},
        "ciphertext": "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
        "kdf": "scrypt",
        "kdfparams": {
            "dklen": 32,
            "n": 262144,
            "p": 8,
            "r": 1,
            "salt": "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
        },
        "mac": "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
    },
    "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
    "version": 3,
}

# Our own fixture: a fixed key encrypted with a fixed salt and iv, pinned once.
FIXTURE_SECRET = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
FIXTURE_PASSWORD = "fixture password"
FIXTURE_SALT = bytes(range(32))
FIXTURE_IV = bytes(range(16))
FIXTURE: dict[str, Any] = {
    "address": "2c7536e3605d9c16a7a3d7b1898e529396a65c23",
    "crypto": {
        "cipher": "aes-128-ctr",
        "cipherparams": {"iv": "000102030405060708090a0b0c0d0e0f"},
        "ciphertext": "e2e75aa6b22cffaece55b0d6396f6a06a3e6fae001c74b38430298d2cea6b54e",
        "kdf": "scrypt",
        "kdfparams": {
            "dklen": 32,
            "n": 1024,
            "p": 1,
            "r": 8,
            "salt": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        },
        "mac": "5d065dcda27b7ce88ac4e486c6f6b412c120e11e425cfe6c0c467befd8504fcb",
    },
    "id": "62e82708-d558-4a26-8a16-c32f5588dbb7",
    "version": 3,
}


@pytest.mark.parametrize(
    "vector",
    [pytest.param(WEB3_PBKDF2, id="web3-pbkdf2"), pytest.param(WEB3_SCRYPT, id="web3-scrypt-r1")],
)
def test_published_vectors_decrypt_to_the_published_key(vector: dict[str, Any]) -> None:
    assert decrypt(vector, "testpassword").secret_bytes().hex() == WEB3_SECRET


def test_fixture_decrypts_to_its_key() -> None:
    key = decrypt(FIXTURE, FIXTURE_PASSWORD)
    assert key.secret_bytes().hex() == FIXTURE_SECRET
    assert key.checksum_address == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


def test_encrypt_with_fixed_salt_and_iv_reproduces_the_fixture() -> None:
    key = PrivateKey(bytes.fromhex(FIXTURE_SECRET))
    made = encrypt(key, FIXTURE_PASSWORD, n=SMALL_N, salt=FIXTURE_SALT, iv=FIXTURE_IV)
    assert made["crypto"] == FIXTURE["crypto"]
    assert made["address"] == FIXTURE["address"]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"kdf": "scrypt", "n": SMALL_N}, id="scrypt"),
        pytest.param({"kdf": "pbkdf2", "iterations": 1000}, id="pbkdf2"),
    ],
)
def test_round_trip(options: dict[str, Any]) -> None:
    key = PrivateKey.generate()
    document = encrypt(key, "correct horse", **options)
    assert document["version"] == 3
    assert document["crypto"]["kdf"] == options["kdf"]
    # Survives a trip through JSON text, as it does on disk.
    restored = decrypt(json.loads(json.dumps(document)), "correct horse")
    assert restored.address == key.address


def test_defaults_are_the_standard_strength() -> None:
    # Running the default KDF takes seconds, so read the defaults instead of encrypting.
    defaults = {
        name: param.default for name, param in inspect.signature(encrypt).parameters.items()
    }
    assert defaults["kdf"] == "scrypt"
    assert (defaults["n"], defaults["r"], defaults["p"]) == (2**18, 8, 1)


def test_wrong_password_is_refused_without_revealing_anything() -> None:
    with pytest.raises(KeystoreError) as caught:
        decrypt(FIXTURE, "not the password")
    assert str(caught.value) == WRONG_PASSWORD
    assert "not the password" not in repr(caught.value)
    assert FIXTURE_SECRET not in repr(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param(
            "ciphertext",
            "f2e75aa6b22cffaece55b0d6396f6a06a3e6fae001c74b38430298d2cea6b54e",
            id="ciphertext",
        ),
        pytest.param(
            "mac", "6d065dcda27b7ce88ac4e486c6f6b412c120e11e425cfe6c0c467befd8504fcb", id="mac"
        ),
    ],
)
def test_tampering_is_detected(field: str, value: str) -> None:
    tampered = copy.deepcopy(FIXTURE)
    tampered["crypto"][field] = value
    with pytest.raises(KeystoreError, match=WRONG_PASSWORD):
        decrypt(tampered, FIXTURE_PASSWORD)


def test_address_that_does_not_match_the_key_is_refused() -> None:
    wrong = copy.deepcopy(FIXTURE)
    wrong["address"] = "00" * 20
    with pytest.raises(KeystoreError, match="address does not match"):
        decrypt(wrong, FIXTURE_PASSWORD)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d.update(version=1), id="version"),
        pytest.param(lambda d: d["crypto"].update(cipher="aes-128-cbc"), id="cipher"),
        pytest.param(lambda d: d["crypto"].update(kdf="argon2"), id="kdf"),
        pytest.param(lambda d: d["crypto"].pop("mac"), id="missing-mac"),
        pytest.param(lambda d: d["crypto"]["kdfparams"].update(n=1000), id="n-not-power-of-two"),
        pytest.param(lambda d: d["crypto"]["kdfparams"].update(n=2**30), id="n-too-large"),
    ],
)
def test_malformed_keystores_raise_keystore_error(mutate: Any) -> None:
    broken = copy.deepcopy(FIXTURE)
    mutate(broken)
    with pytest.raises(KeystoreError):
        decrypt(broken, FIXTURE_PASSWORD)


def test_save_writes_0600_atomically_and_load_reads_it(tmp_path: Path) -> None:
    key = PrivateKey.generate()
    path = tmp_path / "nested" / "key.json"
    save(path, key, "pw", n=SMALL_N)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["key.json"]
    assert load(path, "pw").address == key.address
    assert key.secret_bytes().hex() not in path.read_text()

    replacement = PrivateKey.generate()
    save(path, replacement, "pw2", n=SMALL_N)
    assert load(path, "pw2").address == replacement.address


def test_load_reports_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="not found"):
        load(tmp_path / "absent.json", "pw")
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    with pytest.raises(KeystoreError, match="cannot be read"):
        load(garbage, "pw")
