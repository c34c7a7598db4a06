"""The ticket and its hash (payments.md §2.1, §2.2).

The hash is Solidity `abi.encodePacked` of the TicketBroker struct, so the same bytes are
what the orchestrator verifies and what the contract redeems.
"""

from dataclasses import dataclass, field
from fractions import Fraction

from lpgw.eth import keccak256
from lpgw.pm.encoding import pad32
from lpgw.pm.ev import ticket_ev
from lpgw.pm.params import ExpirationParams, TicketParams, require_address, require_hash

#: senderNonce is a uint32 on the wire and in the reference.
MAX_SENDER_NONCE = 2**32 - 1


@dataclass(frozen=True)
class Ticket:
    recipient: bytes
    sender: bytes
    face_value: int
    win_prob: int
    sender_nonce: int
    recipient_rand_hash: bytes
    expiration_params: ExpirationParams = field(default_factory=ExpirationParams)

    def __post_init__(self) -> None:
        require_address("recipient", self.recipient)
        require_address("sender", self.sender)
        require_hash("recipient_rand_hash", self.recipient_rand_hash)

    @classmethod
    def from_params(
        cls,
        params: TicketParams,
        sender: bytes,
        sender_nonce: int,
        expiration_params: ExpirationParams | None = None,
    ) -> "Ticket":
        """A ticket under `params`; expiration params default to the ones issued with them."""
        return cls(
            recipient=params.recipient,
            sender=sender,
            face_value=params.face_value,
            win_prob=params.win_prob,
            sender_nonce=sender_nonce,
            recipient_rand_hash=params.recipient_rand_hash,
            expiration_params=expiration_params or params.expiration_params,
        )

    @property
    def aux_data(self) -> bytes:
        return self.expiration_params.aux_data

    @property
    def preimage(self) -> bytes:
        """232 bytes (168 without auxData); the nonce takes a full 32-byte word."""
        return (
            self.recipient
            + self.sender
            + pad32(self.face_value)
            + pad32(self.win_prob)
            + pad32(self.sender_nonce)
            + self.recipient_rand_hash
            + self.aux_data
        )

    @property
    def hash(self) -> bytes:
        return keccak256(self.preimage)

    @property
    def ev(self) -> Fraction:
        return ticket_ev(self.face_value, self.win_prob)
