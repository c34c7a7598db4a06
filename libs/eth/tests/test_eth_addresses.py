"""EIP-55 addresses: the exact string Livepeer signs over."""

import pytest
from lpgw.eth import InvalidAddress, PrivateKey, parse_address, to_checksum

CHECKSUMMED = [
    "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
    "0x1563915e194D8CfBA1943570603F7606A3115508",
    "0x3BadDb1eeE2105893136A3F96c8a963E9C6309d6",
    # EIP-55 specification examples
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("text", CHECKSUMMED)
def test_checksum_round_trip(text: str) -> None:
    raw = parse_address(text)
    assert len(raw) == 20
    assert to_checksum(raw) == text
    assert parse_address(text.lower()) == raw
    assert parse_address("0x" + text[2:].upper()) == raw
    assert parse_address(text[2:]) == raw


def test_key_address_is_checksummed() -> None:
    key = PrivateKey(bytes.fromhex("11" * 32))
    assert key.checksum_address == "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
    assert to_checksum(key.address) == key.checksum_address


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("0x19e7E376E7C213B7E7e7e46cc70A5dD086DAff2A", id="wrong checksum"),
        pytest.param("0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff", id="19 bytes"),
        pytest.param("0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A00", id="21 bytes"),
        pytest.param("0xZZE7E376E7C213B7E7e7e46cc70A5dD086DAff2A", id="not hex"),
    ],
)
def test_invalid_addresses(text: str) -> None:
    with pytest.raises(InvalidAddress):
        parse_address(text)


def test_to_checksum_needs_20_bytes() -> None:
    with pytest.raises(InvalidAddress):
        to_checksum(b"\x01" * 19)
