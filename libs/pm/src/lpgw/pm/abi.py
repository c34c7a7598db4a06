"""Contract call encoding for the TicketBroker and RoundsManager calls a sender makes.

A small Solidity ABI encoder (uint256, address, bytes32, bytes and tuples of them), driven by
the function signature, so callers write `encode_call(GET_SENDER_INFO, sender)` and the
transport (JSON-RPC `eth_call` / a signed transaction) stays outside this pure library.
"""

from collections.abc import Sequence

from lpgw.eth import keccak256
from lpgw.pm.encoding import WORD, pad32
from lpgw.pm.params import SenderInfo, require_address
from lpgw.pm.tickets import Ticket

AbiType = str | tuple["AbiType", ...]

TICKET = "(address,address,uint256,uint256,uint256,bytes32,bytes)"

# TicketBroker (payments.md §10.2)
GET_SENDER_INFO = "getSenderInfo(address)"
CLAIMABLE_RESERVE = "claimableReserve(address,address)"
CLAIMED_RESERVE = "claimedReserve(address,address)"
USED_TICKETS = "usedTickets(bytes32)"
UNLOCK_PERIOD = "unlockPeriod()"
TICKET_VALIDITY_PERIOD = "ticketValidityPeriod()"
GET_TICKET_HASH = f"getTicketHash({TICKET})"
FUND_DEPOSIT_AND_RESERVE = "fundDepositAndReserve(uint256,uint256)"
FUND_DEPOSIT = "fundDeposit()"
FUND_RESERVE = "fundReserve()"
FUND_DEPOSIT_AND_RESERVE_FOR = "fundDepositAndReserveFor(address,uint256,uint256)"
UNLOCK = "unlock()"
CANCEL_UNLOCK = "cancelUnlock()"
WITHDRAW = "withdraw()"
REDEEM_WINNING_TICKET = f"redeemWinningTicket({TICKET},bytes,uint256)"
# RoundsManager
LAST_INITIALIZED_ROUND = "lastInitializedRound()"
BLOCK_HASH_FOR_ROUND = "blockHashForRound(uint256)"
CURRENT_ROUND = "currentRound()"
CURRENT_ROUND_START_BLOCK = "currentRoundStartBlock()"
CURRENT_ROUND_INITIALIZED = "currentRoundInitialized()"
ROUND_LENGTH = "roundLength()"
BLOCK_NUM = "blockNum()"
# BondingManager, Controller
GET_TRANSCODER_POOL_SIZE = "getTranscoderPoolSize()"
GET_CONTRACT = "getContract(bytes32)"


def selector(signature: str) -> bytes:
    """First 4 bytes of keccak256 of the canonical signature."""
    return keccak256(signature.encode())[:4]


def event_topic(signature: str) -> bytes:
    """topic0 of an event log."""
    return keccak256(signature.encode())


def contract_name_hash(name: str) -> bytes:
    """Key of `Controller.getContract`: keccak256 of the contract's name."""
    return keccak256(name.encode())


def _split(types: str) -> tuple[AbiType, ...]:
    """Parse `a,(b,c),d` into a type tree."""
    parts: list[AbiType] = []
    depth = 0
    start = 0
    for index, char in enumerate(types + ","):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            item = types[start:index]
            if item:
                parts.append(_split(item[1:-1]) if item.startswith("(") else item)
            start = index + 1
    return tuple(parts)


def parameter_types(signature: str) -> tuple[AbiType, ...]:
    return _split(signature[signature.index("(") + 1 : -1])


def _dynamic(kind: AbiType) -> bool:
    if isinstance(kind, tuple):
        return any(_dynamic(item) for item in kind)
    return kind == "bytes"


def _head_size(kind: AbiType) -> int:
    if isinstance(kind, tuple) and not _dynamic(kind):
        return sum(_head_size(item) for item in kind)
    return WORD


def _encode_one(kind: AbiType, value: object) -> bytes:
    if isinstance(kind, tuple):
        if not isinstance(value, tuple):
            raise TypeError("a tuple type takes a tuple value")
        return encode(kind, value)
    if kind == "uint256" and isinstance(value, int) and not isinstance(value, bool):
        return pad32(value)
    if kind == "address" and isinstance(value, bytes):
        require_address("address", value)
        return bytes(12) + value
    if kind == "bytes32" and isinstance(value, bytes) and len(value) == WORD:
        return value
    if kind == "bytes" and isinstance(value, bytes):
        padding = -len(value) % WORD
        return pad32(len(value)) + value + bytes(padding)
    raise TypeError(f"cannot encode {value!r} as {kind}")


def encode(types: Sequence[AbiType], values: Sequence[object]) -> bytes:
    """ABI encoding of `values` (heads, then the tails of dynamic values)."""
    if len(types) != len(values):
        raise TypeError(f"expected {len(types)} values, got {len(values)}")
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = sum(_head_size(kind) for kind in types)
    for kind, value in zip(types, values, strict=True):
        encoded = _encode_one(kind, value)
        if _dynamic(kind):
            heads.append(pad32(offset))
            tails.append(encoded)
            offset += len(encoded)
        else:
            heads.append(encoded)
    return b"".join(heads) + b"".join(tails)


def encode_call(signature: str, *args: object) -> bytes:
    """Calldata: selector ‖ encoded arguments."""
    return selector(signature) + encode(parameter_types(signature), args)


def ticket_value(ticket: Ticket) -> tuple[object, ...]:
    """The TicketBroker `Ticket` struct of a ticket, for calls that take one."""
    return (
        ticket.recipient,
        ticket.sender,
        ticket.face_value,
        ticket.win_prob,
        ticket.sender_nonce,
        ticket.recipient_rand_hash,
        ticket.aux_data,
    )


def redeem_winning_ticket(ticket: Ticket, sig: bytes, recipient_rand: int) -> bytes:
    return encode_call(REDEEM_WINNING_TICKET, ticket_value(ticket), sig, recipient_rand)


def words(data: bytes) -> list[int]:
    """Return data as unsigned 32-byte words."""
    if len(data) % WORD:
        raise ValueError("return data is a whole number of 32-byte words")
    return [int.from_bytes(data[i : i + WORD], "big") for i in range(0, len(data), WORD)]


def decode_sender_info(data: bytes) -> SenderInfo:
    """((deposit, withdrawRound), (fundsRemaining, claimedInCurrentRound)): four words."""
    values = words(data)
    if len(values) != 4:
        raise ValueError("getSenderInfo returns four words")
    deposit, withdraw_round, funds_remaining, claimed = values
    return SenderInfo(deposit, withdraw_round, funds_remaining, claimed)
