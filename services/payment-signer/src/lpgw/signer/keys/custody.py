"""Getting the gateway key into memory: unlock the keystore, or in dev create one first.

Paths and the address are logged; the password and the key never are.
"""

import secrets

from lpgw.eth import KeystoreError, PrivateKey
from lpgw.eth.keystore import load, save
from lpgw.service.errors import StartupError
from lpgw.service.logs import get_logger
from lpgw.service.secretfile import read_secret_file, write_secret_file
from lpgw.signer.settings import SignerSettings

log = get_logger(__name__)
# A dev key guards nothing of value; a lighter scrypt keeps start-up well under a second.
DEV_SCRYPT_N = 2**14


class KeyCustodyError(StartupError):
    """The key cannot be loaded (missing keystore, no password, wrong password)."""


def _configured_password(settings: SignerSettings) -> str | None:
    if settings.signer_keystore_password is not None:
        return settings.signer_keystore_password.get_secret_value()
    path = settings.password_file
    if path is not None and path.exists():
        return read_secret_file(path)
    return None


def _create_dev_key(settings: SignerSettings) -> PrivateKey:
    password = _configured_password(settings)
    password_file = settings.password_file
    if password is None:
        if password_file is None:  # unreachable: a dev key without a password has a file
            raise KeyCustodyError("no keystore password and no password file for the dev key")
        password = secrets.token_urlsafe(32)
        write_secret_file(password_file, password)
    key = PrivateKey.generate()
    save(settings.keystore_path, key, password, n=DEV_SCRYPT_N)
    log.warning(
        "dev_key_created",
        extra={
            "address": key.checksum_address,
            "keystore": str(settings.keystore_path),
            "password_file": str(password_file) if password_file else None,
        },
    )
    return key


def load_key(settings: SignerSettings) -> PrivateKey:
    """The signing key; KeyCustodyError says what is missing or wrong."""
    path = settings.keystore_path
    if settings.dev_key_enabled and not path.exists():
        return _create_dev_key(settings)
    password = _configured_password(settings)
    if password is None:
        raise KeyCustodyError(
            "no keystore password: set SIGNER_KEYSTORE_PASSWORD or SIGNER_KEYSTORE_PASSWORD_FILE"
        )
    try:
        key = load(path, password)
    except KeystoreError as exc:
        raise KeyCustodyError(f"{exc} ({path})") from None
    log.info("key_loaded", extra={"address": key.checksum_address, "keystore": str(path)})
    return key
