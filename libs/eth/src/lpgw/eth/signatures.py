"""EIP-191 signatures as Livepeer uses them: 65 bytes r ‖ s ‖ v, v in {27, 28}, low s.

Two message forms exist on the wire (see docs/wire-protocol.md §4):
- `sign(m)`: personal_sign over keccak256(m), used for most Livepeer signatures;
- `personal_sign(m)`: personal_sign over the raw bytes m, used for ticket hashes.
"""

from coincurve import PublicKey
from lpgw.eth.errors import InvalidSignature
from lpgw.eth.hashing import keccak256

SIGNATURE_LENGTH = 65
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2


def eip191_digest(message: bytes) -> bytes:
    """keccak256("\\x19Ethereum Signed Message:\\n" ‖ len(message) ‖ message)."""
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def check_form(sig: bytes) -> None:
    """The orchestrator's and TicketBroker's checks, in their order, before any recovery."""
    if len(sig) != SIGNATURE_LENGTH:
        raise InvalidSignature("invalid signature length")
    if int.from_bytes(sig[32:64], "big") > HALF_N:
        raise InvalidSignature("signature s value too high")
    if sig[64] not in (27, 28):
        raise InvalidSignature("signature v value must be 27 or 28")


def recover_digest(digest: bytes, sig: bytes) -> bytes:
    """Address (20 bytes) whose key made `sig` over the 32-byte `digest`."""
    check_form(sig)
    try:
        public = PublicKey.from_signature_and_message(
            sig[:64] + bytes([sig[64] - 27]), digest, hasher=None
        )
    except Exception as exc:  # coincurve raises bare Exception on unrecoverable input
        raise InvalidSignature("signature does not recover to a public key") from exc
    return keccak256(public.format(compressed=False)[1:])[-20:]


def recover_personal(message: bytes, sig: bytes) -> bytes:
    """Signer of PersonalSign(message)."""
    return recover_digest(eip191_digest(message), sig)


def recover_sign(message: bytes, sig: bytes) -> bytes:
    """Signer of Sign(message) = PersonalSign(keccak256(message))."""
    return recover_personal(keccak256(message), sig)


def verify_sign(message: bytes, sig: bytes, address: bytes) -> bool:
    try:
        return recover_sign(message, sig) == address
    except InvalidSignature:
        return False


def verify_personal(message: bytes, sig: bytes, address: bytes) -> bool:
    try:
        return recover_personal(message, sig) == address
    except InvalidSignature:
        return False
