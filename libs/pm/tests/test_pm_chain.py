"""Chain facts: the devnet chain's clock, rounds and hashes; params issued and checked with it."""

from fractions import Fraction

import pytest
from lpgw.eth import PrivateKey, keccak256
from lpgw.pm import Payment, PriceInfo, Recipient, RecipientConfig, sign_tickets
from lpgw.pm.chain import (
    ChainView,
    DevnetChain,
    expiration_params,
    issue_context,
    max_float,
    recipient_view,
    reserve_alloc,
    validate_params,
)
from lpgw.pm.encoding import ZERO_HASH, pad32
from lpgw.pm.errors import FaceValueTooHigh, InsufficientSenderReserve, TicketParamsExpired
from lpgw.pm.params import SenderInfo, TicketParams
from lpgw.pm.price import Price
from lpgw.pm.receiving import process_payment

ROUND = 3
BLOCK = 5760 * ROUND + 2
NOW = 12.0 * BLOCK + 5
SENDER_KEY = PrivateKey(bytes.fromhex("22" * 32))
SENDER = SENDER_KEY.address
RECIPIENT = PrivateKey(bytes.fromhex("33" * 32)).address
PRICE = PriceInfo(1000, 3)
QUOTE = PRICE.price()


class Clock:
    """A settable clock, so a test can move the chain forward."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def issue(chain: ChainView, recipient: Recipient, price: Price = QUOTE) -> TicketParams:
    context = issue_context(chain, sender=SENDER, recipient=recipient.address)
    return recipient.ticket_params(sender=SENDER, price=price, context=context, seed=7)


def devnet_recipient(ticket_ev: int = 1_000_000_000) -> Recipient:
    return Recipient(RECIPIENT, b"\x01" * 32, RecipientConfig(ticket_ev=ticket_ev))


def test_blocks_are_twelve_seconds_and_rounds_5760_blocks() -> None:
    chain = DevnetChain(Clock(NOW))

    assert chain.latest_l1_block() == BLOCK
    assert chain.last_initialized_round() == ROUND


def test_round_hashes_are_deterministic_and_zero_until_the_round_is_reached() -> None:
    chain = DevnetChain(Clock(NOW))
    other = DevnetChain(Clock(NOW + 3600))

    assert chain.round_block_hash(ROUND) == keccak256(b"lpgw-devnet-round" + pad32(ROUND))
    assert chain.round_block_hash(ROUND) == other.round_block_hash(ROUND)
    assert chain.round_block_hash(ROUND - 1) != chain.round_block_hash(ROUND)
    assert chain.round_block_hash(ROUND + 1) == ZERO_HASH


def test_new_params_carry_the_last_initialized_round_and_its_hash() -> None:
    chain = DevnetChain(Clock(NOW))

    params = expiration_params(chain)

    assert params.creation_round == ROUND
    assert params.creation_round_block_hash == chain.round_block_hash(ROUND)


def test_every_sender_is_funded_active_and_not_unlocking() -> None:
    chain = DevnetChain(Clock(NOW), deposit=5, reserve=7)

    info = chain.sender_info(SENDER)

    assert (info.deposit, info.reserve_funds_remaining) == (5, 7)
    assert not info.unlocking(chain.last_initialized_round())
    assert chain.is_active(RECIPIENT)


def test_issued_params_win_one_in_a_hundred_and_pass_the_senders_checks() -> None:
    chain = DevnetChain(Clock(NOW))

    params = issue(chain, devnet_recipient())

    assert params.expiration_block == BLOCK + 40
    assert params.face_value == 100 * 1_000_000_000
    assert abs(params.ev - 1_000_000_000) <= 1
    validate_params(chain, params, sender=SENDER)


def test_params_expire_for_the_sender_one_block_before_the_recipient() -> None:
    clock = Clock(NOW)
    chain = DevnetChain(clock)
    recipient = devnet_recipient()
    params = issue(chain, recipient)

    clock.now += 12 * 39
    with pytest.raises(TicketParamsExpired):
        validate_params(chain, params, sender=SENDER)
    clock.now += 12
    payment = Payment(
        sender=SENDER,
        ticket_params=params,
        expiration_params=params.expiration_params,
        tickets=sign_tickets(SENDER_KEY, params, SENDER, [1]),
        expected_price=PRICE,
    )
    view = recipient_view(chain, sender=SENDER, recipient=recipient.address)
    outcome = process_payment(recipient, payment, view, {})

    assert isinstance(outcome.error, TicketParamsExpired)
    assert outcome.credit == 0


def test_a_small_reserve_refuses_to_issue() -> None:
    chain = DevnetChain(Clock(NOW), reserve=10**9 - 1)

    with pytest.raises(InsufficientSenderReserve):
        issue(chain, devnet_recipient())


def test_a_small_deposit_fails_the_senders_face_value_check() -> None:
    chain = DevnetChain(Clock(NOW), deposit=10**10)

    with pytest.raises(FaceValueTooHigh):
        validate_params(chain, issue(chain, devnet_recipient()), sender=SENDER)


def test_a_free_price_gives_free_params() -> None:
    params = issue(DevnetChain(Clock(NOW)), devnet_recipient(), Price(Fraction(0)))

    assert (params.face_value, params.win_prob) == (0, 0)


@pytest.mark.parametrize(
    ("info", "pool", "claimed", "alloc"),
    [
        pytest.param(SenderInfo(100, 0, 90, 10), 4, 0, 25, id="remaining plus claimed over pool"),
        pytest.param(SenderInfo(100, 0, 90, 10), 4, 5, 20, id="less what this one claimed"),
        pytest.param(SenderInfo(100, 0, 90, 10), 4, 30, 0, id="never negative"),
        pytest.param(SenderInfo(100, 0, 90, 10), 0, 0, 0, id="empty pool"),
    ],
)
def test_reserve_alloc(info: SenderInfo, pool: int, claimed: int, alloc: int) -> None:
    assert reserve_alloc(info, pool, claimed) == alloc


@pytest.mark.parametrize(
    ("alloc", "deposit", "pending", "expected"),
    [
        pytest.param(100, 1000, 0, 100, id="nothing pending"),
        pytest.param(100, 1000, 300, 100, id="deposit covers pending three times"),
        pytest.param(100, 1000, 400, 0, id="pending large: float shrinks to zero"),
        pytest.param(100, 100, 40, 60, id="pending large: float less pending"),
    ],
)
def test_max_float(alloc: int, deposit: int, pending: int, expected: int) -> None:
    assert max_float(alloc, deposit, pending) == expected


def test_the_devnet_chain_is_a_chain_view() -> None:
    chain: ChainView = DevnetChain()

    assert chain.pool_size() == 1 and chain.gas_price() == 0
