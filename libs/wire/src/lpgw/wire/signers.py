"""What the wire code needs from a key: narrow protocols that a local key or a remote signer meet.

`lpgw.eth.PrivateKey` satisfies both; the payment-signer service can too.
"""

from typing import Protocol


class MessageSigner(Protocol):
    def sign(self, message: bytes) -> bytes:
        """Sign(m) of the wire protocol: 65-byte EIP-191 signature over keccak256(m)."""
        ...


class AddressSigner(MessageSigner, Protocol):
    @property
    def address(self) -> bytes:
        """The 20-byte Ethereum address of the key."""
        ...
