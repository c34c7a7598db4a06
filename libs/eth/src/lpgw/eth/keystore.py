"""Ethereum v3 JSON keystores (Web3 Secret Storage): the key at rest, encrypted by a password.

The derived key's first half encrypts the secret with AES-128-CTR; its second half, hashed with
the ciphertext, is the MAC that tells a wrong password (or a damaged file) apart before any
decryption. Errors name the file and the failing check, never the password or the key.
"""

import hashlib
import hmac
import json
import os
import secrets
import uuid
from pathlib import Path
from typing import Any, Literal

from Crypto.Cipher import AES
from Crypto.Protocol.KDF import scrypt as pycryptodome_scrypt
from Crypto.Util import Counter
from lpgw.eth.errors import InvalidKey, KeystoreError
from lpgw.eth.hashing import keccak256
from lpgw.eth.keys import PrivateKey

Kdf = Literal["scrypt", "pbkdf2"]

DKLEN = 32
SCRYPT_N = 2**18
SCRYPT_R = 8
SCRYPT_P = 1
PBKDF2_ITERATIONS = 262_144
# Refuse parameters that would need more than this much memory: a hostile file must not be
# able to exhaust the host.
SCRYPT_MAX_MEMORY = 2**30
WRONG_PASSWORD = "keystore password does not unlock the key"


def _password_bytes(password: str | bytes) -> bytes:
    return password.encode() if isinstance(password, str) else password


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # OpenSSL needs 128·r·(n + p + 2) bytes; hashlib's default limit (32 MiB) is far too low.
    needed = 128 * r * (n + p + 2)
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or needed > SCRYPT_MAX_MEMORY:
        raise KeystoreError("keystore scrypt parameters are invalid or too large")
    if n >= 2 ** (16 * r):
        # OpenSSL enforces RFC 7914's n < 2^(16·r); older tools (and the Web3 Secret Storage
        # test vector, r = 1) wrote keystores beyond it, which pycryptodome still derives.
        return bytes(pycryptodome_scrypt(password, salt, dklen, n, r, p))
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=needed + 2**20, dklen=dklen)


def _pbkdf2(password: bytes, salt: bytes, iterations: int, dklen: int) -> bytes:
    if iterations < 1:
        raise KeystoreError("keystore pbkdf2 iteration count is invalid")
    return hashlib.pbkdf2_hmac("sha256", password, salt, iterations, dklen)


def _aes_ctr(key16: bytes, iv: bytes, data: bytes) -> bytes:
    counter = Counter.new(128, initial_value=int.from_bytes(iv, "big"))
    return bytes(AES.new(key16, AES.MODE_CTR, counter=counter).encrypt(data))


def _mac(derived: bytes, ciphertext: bytes) -> bytes:
    return keccak256(derived[16:32] + ciphertext)


def encrypt(
    key: PrivateKey,
    password: str | bytes,
    *,
    kdf: Kdf = "scrypt",
    n: int = SCRYPT_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
    iterations: int = PBKDF2_ITERATIONS,
    salt: bytes | None = None,
    iv: bytes | None = None,
) -> dict[str, Any]:
    """A v3 keystore dict for `key`. Use the defaults for real keys; a small `n` only in dev.

    `salt` and `iv` are random unless given (tests build fixed fixtures with them).
    """
    salt = secrets.token_bytes(32) if salt is None else salt
    iv = secrets.token_bytes(16) if iv is None else iv
    if len(iv) != 16:
        raise ValueError("the AES-128-CTR iv is 16 bytes")
    secret = _password_bytes(password)
    kdfparams: dict[str, Any]
    if kdf == "scrypt":
        derived = _scrypt(secret, salt, n, r, p, DKLEN)
        kdfparams = {"dklen": DKLEN, "n": n, "p": p, "r": r, "salt": salt.hex()}
    else:
        derived = _pbkdf2(secret, salt, iterations, DKLEN)
        kdfparams = {"c": iterations, "dklen": DKLEN, "prf": "hmac-sha256", "salt": salt.hex()}
    ciphertext = _aes_ctr(derived[:16], iv, key.secret_bytes())
    return {
        "address": key.address.hex(),
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": iv.hex()},
            "ciphertext": ciphertext.hex(),
            "kdf": kdf,
            "kdfparams": kdfparams,
            "mac": _mac(derived, ciphertext).hex(),
        },
        "id": str(uuid.uuid4()),
        "version": 3,
    }


def _derive(crypto: dict[str, Any], password: bytes) -> bytes:
    kdf = crypto["kdf"]
    params = crypto["kdfparams"]
    dklen = int(params["dklen"])
    if dklen < 32:
        raise KeystoreError("keystore derived key length must be at least 32 bytes")
    salt = bytes.fromhex(params["salt"])
    if kdf == "scrypt":
        return _scrypt(password, salt, int(params["n"]), int(params["r"]), int(params["p"]), dklen)
    if kdf == "pbkdf2":
        if params.get("prf") != "hmac-sha256":
            raise KeystoreError("keystore pbkdf2 prf must be hmac-sha256")
        return _pbkdf2(password, salt, int(params["c"]), dklen)
    raise KeystoreError(f"keystore kdf {kdf!r} is not supported")


def decrypt(keystore: dict[str, Any], password: str | bytes) -> PrivateKey:
    """The key inside a v3 keystore; KeystoreError if malformed or the password is wrong."""
    try:
        if keystore.get("version") != 3:
            raise KeystoreError("keystore version must be 3")
        crypto = keystore.get("crypto") or keystore["Crypto"]
        if crypto["cipher"] != "aes-128-ctr":
            raise KeystoreError("keystore cipher must be aes-128-ctr")
        ciphertext = bytes.fromhex(crypto["ciphertext"])
        iv = bytes.fromhex(crypto["cipherparams"]["iv"])
        expected_mac = bytes.fromhex(crypto["mac"])
        derived = _derive(crypto, _password_bytes(password))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KeystoreError("keystore is malformed") from exc
    if len(iv) != 16:
        raise KeystoreError("keystore iv must be 16 bytes")
    if not hmac.compare_digest(_mac(derived, ciphertext), expected_mac):
        raise KeystoreError(WRONG_PASSWORD)
    try:
        key = PrivateKey(_aes_ctr(derived[:16], iv, ciphertext))
    except InvalidKey:
        raise KeystoreError("keystore does not hold a valid secp256k1 key") from None
    stated = keystore.get("address")
    if isinstance(stated, str) and stated.lower().removeprefix("0x") != key.address.hex():
        raise KeystoreError("keystore address does not match its key")
    return key


def load(path: Path | str, password: str | bytes) -> PrivateKey:
    path = Path(path)
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise KeystoreError(f"keystore file not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise KeystoreError(f"keystore file {path} cannot be read: {type(exc).__name__}") from None
    if not isinstance(document, dict):
        raise KeystoreError(f"keystore file {path} is not a JSON object")
    return decrypt(document, password)


def save(
    path: Path | str,
    key: PrivateKey,
    password: str | bytes,
    *,
    kdf: Kdf = "scrypt",
    n: int = SCRYPT_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
    iterations: int = PBKDF2_ITERATIONS,
) -> None:
    """Encrypt and write atomically with mode 0600: readers see the old file or the new one."""
    path = Path(path)
    document = encrypt(key, password, kdf=kdf, n=n, r=r, p=p, iterations=iterations)
    data = json.dumps(document, indent=2).encode() + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
