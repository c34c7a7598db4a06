"""Chain facts the payment rules read, behind one narrow interface (payments.md §3.3, §6, §10).

Issuing params needs the latest L1 block, the last initialized round and its block hash, the
gas price and the sender's reserve share; receiving needs the block, the round, the sender's
on-chain info and whether the orchestrator is active; a sender checking params needs the
block, the round and its own info. `ChainView` is exactly that, as synchronous snapshot reads:
a real (Arbitrum) adapter keeps them fresh in the background, as go-livepeer's watchers do, so
no payment decision waits on an RPC. `DevnetChain` is the chain of the devnet orchestrator and
of the payment-signer in dev: time makes the blocks, so both sides agree on expiry.
"""

import time
from collections.abc import Callable
from typing import Protocol

from lpgw.eth import keccak256
from lpgw.pm.encoding import ZERO_HASH, pad32
from lpgw.pm.params import ExpirationParams, SenderInfo, TicketParams
from lpgw.pm.receiving import RecipientView
from lpgw.pm.recipient import IssueContext, round_expiration_params
from lpgw.pm.validation import SenderLimits, validate_ticket_params

#: L1 (Ethereum) block time the devnet chain assumes.
BLOCK_TIME_S = 12.0
#: Blocks per round of the Arbitrum deployment's RoundsManager.
ROUND_LENGTH = 5760
#: Below this deposit/pending ratio the orchestrator keeps queued winners out of its float.
PENDING_FLOAT_RATIO = 3
#: Devnet sender funds: 1 ETH each, far above any devnet face value.
DEVNET_DEPOSIT = 10**18
DEVNET_RESERVE = 10**18

_ROUND_HASH_DOMAIN = b"lpgw-devnet-round"

Clock = Callable[[], float]


class ChainView(Protocol):
    """What lpgw.pm's issuing, receiving and validation read from the chain."""

    def latest_l1_block(self) -> int:
        """The latest L1 block number (Arbitrum: `l1BlockNumber` of the L2 head)."""
        ...

    def last_initialized_round(self) -> int: ...

    def round_block_hash(self, round_: int) -> bytes:
        """RoundsManager `blockHashForRound`: 32 bytes, all zero when not stored (yet)."""
        ...

    def sender_info(self, sender: bytes) -> SenderInfo:
        """TicketBroker `getSenderInfo(sender)`."""
        ...

    def is_active(self, orchestrator: bytes) -> bool:
        """Whether `orchestrator` is in the active set of the current round."""
        ...

    def gas_price(self) -> int:
        """Current gas price in wei, for the redemption cost behind face values."""
        ...

    def pool_size(self) -> int:
        """Number of active orchestrators sharing each sender's reserve."""
        ...

    def claimed_reserve(self, sender: bytes, claimant: bytes) -> int:
        """Reserve of `sender` already claimed by `claimant` this round."""
        ...


def expiration_params(chain: ChainView) -> ExpirationParams:
    """The creation round and hash to put in new params (the round before if unset)."""
    round_ = chain.last_initialized_round()
    previous = chain.round_block_hash(round_ - 1) if round_ > 0 else ZERO_HASH
    return round_expiration_params(round_, chain.round_block_hash(round_), previous)


def reserve_alloc(info: SenderInfo, pool_size: int, claimed: int) -> int:
    """One orchestrator's share of a sender's reserve this round (§10.4), never negative."""
    if pool_size <= 0:
        return 0
    share = (info.reserve_funds_remaining + info.reserve_claimed_in_current_round) // pool_size
    return max(share - claimed, 0)


def max_float(alloc: int, deposit: int, pending: int) -> int:
    """The face value an orchestrator can still be sure of: the reserve share, less the
    queued winners' face value once those are a large part of the deposit."""
    if pending > 0 and deposit // pending < PENDING_FLOAT_RATIO:
        return max(alloc - pending, 0)
    return alloc


def issue_context(
    chain: ChainView, *, sender: bytes, recipient: bytes, pending: int = 0
) -> IssueContext:
    """Chain facts for `Recipient.ticket_params`; `pending` is the unredeemed winning face
    value the recipient holds from this sender."""
    info = chain.sender_info(sender)
    alloc = reserve_alloc(info, chain.pool_size(), chain.claimed_reserve(sender, recipient))
    return IssueContext(
        gas_price=chain.gas_price(),
        max_float=max_float(alloc, info.deposit, pending),
        last_seen_l1_block=chain.latest_l1_block(),
        expiration_params=expiration_params(chain),
    )


def recipient_view(chain: ChainView, *, sender: bytes, recipient: bytes) -> RecipientView:
    """Chain facts for `process_payment` from `sender` to `recipient`."""
    return RecipientView(
        latest_l1_block=chain.latest_l1_block(),
        last_initialized_round=chain.last_initialized_round(),
        sender_info=chain.sender_info(sender),
        active=chain.is_active(recipient),
    )


def validate_params(
    chain: ChainView,
    params: TicketParams | None,
    *,
    sender: bytes,
    num_tickets: int = 1,
    limits: SenderLimits | None = None,
) -> None:
    """The sender's `validate_ticket_params` with its own chain facts."""
    validate_ticket_params(
        params,
        latest_l1_block=chain.latest_l1_block(),
        sender_info=chain.sender_info(sender),
        last_initialized_round=chain.last_initialized_round(),
        num_tickets=num_tickets,
        limits=limits,
    )


def devnet_round_hash(round_: int) -> bytes:
    """keccak256("lpgw-devnet-round" ‖ pad32(round)): stands in for the stored L1 hash."""
    return keccak256(_ROUND_HASH_DOMAIN + pad32(round_))


class DevnetChain:
    """A chain made of time: block = clock() // block time, round = block // round length.

    Every sender has the configured deposit and reserve and is never unlocking, every
    orchestrator is active and alone in the pool, nothing is claimed. Everyone using the same
    clock and block time (the defaults) agrees on blocks, rounds and hashes.
    """

    def __init__(
        self,
        clock: Clock = time.time,
        *,
        deposit: int = DEVNET_DEPOSIT,
        reserve: int = DEVNET_RESERVE,
        gas_price: int = 0,
        block_time_s: float = BLOCK_TIME_S,
        round_length: int = ROUND_LENGTH,
    ) -> None:
        if deposit < 0 or reserve < 0 or gas_price < 0:
            raise ValueError("deposit, reserve and gas price are not negative")
        if block_time_s <= 0 or round_length <= 0:
            raise ValueError("block time and round length are positive")
        self._clock = clock
        self._deposit = deposit
        self._reserve = reserve
        self._gas_price = gas_price
        self._block_time_s = block_time_s
        self._round_length = round_length

    def latest_l1_block(self) -> int:
        return int(self._clock() // self._block_time_s)

    def last_initialized_round(self) -> int:
        return self.latest_l1_block() // self._round_length

    def round_block_hash(self, round_: int) -> bytes:
        """The devnet hash for initialized rounds; zero for rounds not reached yet."""
        if not 0 <= round_ <= self.last_initialized_round():
            return ZERO_HASH
        return devnet_round_hash(round_)

    def sender_info(self, sender: bytes) -> SenderInfo:
        return SenderInfo(
            deposit=self._deposit, withdraw_round=0, reserve_funds_remaining=self._reserve
        )

    def is_active(self, orchestrator: bytes) -> bool:
        return True

    def gas_price(self) -> int:
        return self._gas_price

    def pool_size(self) -> int:
        return 1

    def claimed_reserve(self, sender: bytes, claimant: bytes) -> int:
        return 0
