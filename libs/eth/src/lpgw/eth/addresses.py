"""Ethereum addresses: 20 raw bytes on the wire, EIP-55 checksummed strings in text."""

from lpgw.eth.errors import InvalidAddress
from lpgw.eth.hashing import keccak256

ADDRESS_LENGTH = 20


def to_checksum(address: bytes) -> str:
    """EIP-55 string of a 20-byte address; signatures over addresses depend on this exact form."""
    if len(address) != ADDRESS_LENGTH:
        raise InvalidAddress(f"an address is {ADDRESS_LENGTH} bytes, got {len(address)}")
    lower = address.hex()
    digest = keccak256(lower.encode()).hex()
    return "0x" + "".join(
        c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest[:40], strict=True)
    )


def parse_address(text: str) -> bytes:
    """Bytes of a `0x` hex address. Mixed case must be a valid EIP-55 checksum."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    if len(body) != 2 * ADDRESS_LENGTH:
        raise InvalidAddress(f"an address is 40 hex characters, got {len(body)}")
    try:
        raw = bytes.fromhex(body)
    except ValueError as exc:
        raise InvalidAddress("an address must be hexadecimal") from exc
    if body != body.lower() and body != body.upper() and to_checksum(raw)[2:] != body:
        raise InvalidAddress("address has a wrong EIP-55 checksum")
    return raw
