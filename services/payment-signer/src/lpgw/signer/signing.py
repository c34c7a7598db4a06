"""The one object that holds the gateway key and makes every signature the signer serves.

Routes ask it for signatures and never see the key. Ticket signing (with nonces kept in
Redis and spend limits) belongs here next, beside the orchestrator-info signature.
"""

from dataclasses import dataclass

from lpgw.eth import PrivateKey


@dataclass(frozen=True, slots=True)
class OrchestratorInfoSignature:
    """OrchestratorRequest.address and .sig: Sign(utf8(EIP-55 address)) (wire.md §4.1)."""

    address: bytes
    checksum_address: str
    signature: bytes


class SigningService:
    def __init__(self, key: PrivateKey) -> None:
        self._key = key
        # Computed once, as the reference does: the message never changes for a key.
        self._orchestrator_info = OrchestratorInfoSignature(
            address=key.address,
            checksum_address=key.checksum_address,
            signature=key.sign(key.checksum_address.encode()),
        )

    @property
    def address(self) -> str:
        return self._key.checksum_address

    def orchestrator_info_signature(self) -> OrchestratorInfoSignature:
        return self._orchestrator_info
