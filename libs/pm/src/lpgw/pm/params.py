"""Ticket parameters as the orchestrator issues them and the sender echoes them (wire.md §3.6).

Plain ints and bytes; conversion from protobuf happens at the edges (`uint`/`minbytes` in
lpgw.pm.encoding).
"""

from dataclasses import dataclass, field
from fractions import Fraction

from lpgw.pm.encoding import ZERO_HASH, pad32
from lpgw.pm.ev import ticket_ev

ADDRESS_LENGTH = 20
HASH_LENGTH = 32


def require_address(name: str, value: bytes) -> None:
    if len(value) != ADDRESS_LENGTH:
        raise ValueError(f"{name} is a {ADDRESS_LENGTH}-byte address, got {len(value)} bytes")


def require_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_LENGTH:
        raise ValueError(f"{name} is {HASH_LENGTH} bytes, got {len(value)}")


def require_uint(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} is not negative")


@dataclass(frozen=True)
class ExpirationParams:
    """Creation round and its block hash; hashed into tickets as auxData."""

    creation_round: int = 0
    creation_round_block_hash: bytes = ZERO_HASH

    def __post_init__(self) -> None:
        require_uint("creation_round", self.creation_round)
        require_hash("creation_round_block_hash", self.creation_round_block_hash)

    @property
    def aux_data(self) -> bytes:
        """pad32(round) ‖ hash, or empty only when both are zero (payments.md §2.2)."""
        if self.creation_round == 0 and self.creation_round_block_hash == ZERO_HASH:
            return b""
        return pad32(self.creation_round) + self.creation_round_block_hash


@dataclass(frozen=True)
class TicketParams:
    """What an orchestrator binds to one sender and one price."""

    recipient: bytes
    face_value: int
    win_prob: int
    recipient_rand_hash: bytes
    seed: int
    expiration_block: int
    expiration_params: ExpirationParams = field(default_factory=ExpirationParams)

    def __post_init__(self) -> None:
        require_address("recipient", self.recipient)
        require_hash("recipient_rand_hash", self.recipient_rand_hash)
        for name in ("face_value", "win_prob", "seed", "expiration_block"):
            require_uint(name, getattr(self, name))

    @property
    def ev(self) -> Fraction:
        return ticket_ev(self.face_value, self.win_prob)

    @property
    def session_id(self) -> str:
        """`0x` + hex of recipientRandHash: the reference's PM session id and nonce scope."""
        return "0x" + self.recipient_rand_hash.hex()


@dataclass(frozen=True)
class TicketSenderParams:
    """One ticket of a payment: its nonce and the sender's signature."""

    sender_nonce: int
    sig: bytes


@dataclass(frozen=True)
class SenderInfo:
    """TicketBroker `getSenderInfo(sender)`: deposit, unlock state and reserve."""

    deposit: int
    withdraw_round: int
    reserve_funds_remaining: int
    reserve_claimed_in_current_round: int = 0

    def unlocking(self, last_initialized_round: int) -> bool:
        """Orchestrators refuse a sender whose unlock completes by the next round."""
        return self.withdraw_round != 0 and self.withdraw_round <= last_initialized_round + 1
