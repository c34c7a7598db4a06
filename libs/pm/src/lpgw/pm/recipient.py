"""The orchestrator's side of issuing ticket params (payments.md §3.1-§3.3).

Pure maths over what the orchestrator knows (gas price, the sender's max float, the L1 block
and round data); randomness is injected so tests and the devnet orchestrator are repeatable.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lpgw.pm.encoding import ZERO_HASH
from lpgw.pm.errors import InsufficientSenderReserve
from lpgw.pm.ev import MAX_WIN_PROB
from lpgw.pm.params import ExpirationParams, TicketParams, require_address
from lpgw.pm.price import Price
from lpgw.pm.recipient_rand import hmac_message, recipient_rand, recipient_rand_hash

#: Face value is EV × this when the redemption cost alone would not reach the EV.
EV_MULTIPLIER = 100
#: Below this gas price (wei) the reference still accepts face values under the tx cost.
MIN_GAS_PRICE = 3_000_000_000
#: Ticket params live this many L1 blocks.
PARAMS_EXPIRY_BLOCKS = 40
REDEEM_GAS = 350_000
ARBITRUM_REDEEM_GAS = 1_200_000

RandomBytes = Callable[[int], bytes]


@dataclass(frozen=True)
class RecipientConfig:
    """Reference defaults: `-ticketEV`, `-maxFaceValue` (0 = no cap), txCostMultiplier."""

    ticket_ev: int = 8_000_000_000
    redeem_gas: int = REDEEM_GAS
    tx_cost_multiplier: int = 100
    max_face_value: int = 0


def face_value(config: RecipientConfig, *, gas_price: int, max_float: int) -> int:
    """Face value for a sender: cover redemption gas, capped by the sender's reserve share."""
    tx_cost = config.redeem_gas * gas_price
    value = tx_cost * config.tx_cost_multiplier
    if value < config.ticket_ev:
        value = config.ticket_ev * EV_MULTIPLIER
    value = min(value, max_float)
    if config.max_face_value > 0:
        value = min(value, config.max_face_value)
    if value < config.ticket_ev:
        raise InsufficientSenderReserve()
    if value < tx_cost and value < config.redeem_gas * MIN_GAS_PRICE:
        raise InsufficientSenderReserve()
    return value


def win_prob(face_value: int, ticket_ev: int) -> int:
    """winProb making faceValue × winProb / MAXU the EV target (within 1 wei)."""
    if face_value == 0:
        return 0
    if face_value == ticket_ev:
        return MAX_WIN_PROB
    quotient, remainder = divmod(MAX_WIN_PROB, face_value)
    return ticket_ev * (quotient + 1 if remainder else quotient)


def ticket_terms(
    config: RecipientConfig, price: Price, *, gas_price: int, max_float: int
) -> tuple[int, int]:
    """(faceValue, winProb); a free price gives (0, 0) and the sender sends no tickets."""
    if price.is_free():
        return 0, 0
    value = face_value(config, gas_price=gas_price, max_float=max_float)
    return value, win_prob(value, config.ticket_ev)


def round_expiration_params(
    last_initialized_round: int, block_hash: bytes, previous_block_hash: bytes
) -> ExpirationParams:
    """The last initialized round and its hash, or the round before when the hash is unset."""
    if block_hash == ZERO_HASH:
        return ExpirationParams(max(last_initialized_round - 1, 0), previous_block_hash)
    return ExpirationParams(last_initialized_round, block_hash)


def new_seed(random_bytes: RandomBytes = secrets.token_bytes) -> int:
    return int.from_bytes(random_bytes(32), "big")


@dataclass(frozen=True)
class IssueContext:
    """Chain facts at issue time."""

    gas_price: int
    max_float: int
    last_seen_l1_block: int
    expiration_params: ExpirationParams


@dataclass(frozen=True)
class Recipient:
    """An orchestrator's PM identity: its address and its process-lifetime HMAC secret."""

    address: bytes
    secret: bytes = field(repr=False)
    config: RecipientConfig = field(default_factory=RecipientConfig)

    def __post_init__(self) -> None:
        require_address("address", self.address)
        if len(self.secret) != 32:
            raise ValueError("the recipient secret is 32 bytes")

    @classmethod
    def create(
        cls,
        address: bytes,
        config: RecipientConfig | None = None,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> "Recipient":
        """A recipient with a fresh secret; tickets of an earlier secret no longer validate."""
        return cls(address, random_bytes(32), config or RecipientConfig())

    def rand(self, *, seed: int, sender: bytes, params: TicketParams, price: Price) -> int:
        """recipientRand for `params` as echoed by `sender` at `price`."""
        return recipient_rand(
            self.secret,
            hmac_message(
                seed=seed,
                sender=sender,
                face_value=params.face_value,
                win_prob=params.win_prob,
                expiration_block=params.expiration_block,
                price=price,
                expiration_params=params.expiration_params,
            ),
        )

    def ticket_params(
        self, *, sender: bytes, price: Price, context: IssueContext, seed: int
    ) -> TicketParams:
        """Params bound to `sender` and `price` (GetOrchestrator / PaymentResult.info)."""
        value, probability = ticket_terms(
            self.config, price, gas_price=context.gas_price, max_float=context.max_float
        )
        unsigned = TicketParams(
            recipient=self.address,
            face_value=value,
            win_prob=probability,
            recipient_rand_hash=ZERO_HASH,
            seed=seed,
            expiration_block=context.last_seen_l1_block + PARAMS_EXPIRY_BLOCKS,
            expiration_params=context.expiration_params,
        )
        rand = self.rand(seed=seed, sender=sender, params=unsigned, price=price)
        return replace(unsigned, recipient_rand_hash=recipient_rand_hash(rand))
