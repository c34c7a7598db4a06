"""Ethereum primitives: keccak, EIP-191 signatures, EIP-55 addresses, v3 keystores."""

from lpgw.eth.addresses import parse_address, to_checksum
from lpgw.eth.errors import EthError, InvalidAddress, InvalidKey, InvalidSignature, KeystoreError
from lpgw.eth.hashing import KECCAK_EMPTY, keccak256
from lpgw.eth.keys import PrivateKey
from lpgw.eth.keystore import decrypt as decrypt_keystore
from lpgw.eth.keystore import encrypt as encrypt_keystore
from lpgw.eth.keystore import load as load_keystore
from lpgw.eth.keystore import save as save_keystore
from lpgw.eth.signatures import (
    check_form,
    eip191_digest,
    recover_digest,
    recover_personal,
    recover_sign,
    verify_personal,
    verify_sign,
)

__all__ = [
    "KECCAK_EMPTY",
    "EthError",
    "InvalidAddress",
    "InvalidKey",
    "InvalidSignature",
    "KeystoreError",
    "PrivateKey",
    "check_form",
    "decrypt_keystore",
    "eip191_digest",
    "encrypt_keystore",
    "keccak256",
    "load_keystore",
    "parse_address",
    "recover_digest",
    "recover_personal",
    "recover_sign",
    "save_keystore",
    "to_checksum",
    "verify_personal",
    "verify_sign",
]
