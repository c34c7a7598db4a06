"""The orchestrator receiving payments: rules of payments.md §3.3-§3.4 as named cases."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

import pytest
from lpgw.eth import PrivateKey, to_checksum
from lpgw.pm.encoding import ZERO_HASH
from lpgw.pm.errors import InsufficientBalance, InsufficientSenderReserve
from lpgw.pm.ev import MAX_WIN_PROB
from lpgw.pm.nonces import MAX_SENDER_NONCES, SeenNonces
from lpgw.pm.params import ExpirationParams, SenderInfo, TicketParams
from lpgw.pm.price import Price, PriceInfo
from lpgw.pm.receiving import Payment, RecipientView, check_balance, process_payment
from lpgw.pm.recipient import (
    PARAMS_EXPIRY_BLOCKS,
    IssueContext,
    Recipient,
    RecipientConfig,
    round_expiration_params,
)
from lpgw.pm.signing import sign_tickets

SENDER_KEY = PrivateKey(bytes([0x11]) * 32)
OTHER_KEY = PrivateKey(bytes([0x22]) * 32)
SENDER = SENDER_KEY.address
ORCHESTRATOR = bytes(range(1, 21))
RECIPIENT = Recipient(ORCHESTRATOR, bytes([3]) + bytes(31), RecipientConfig(ticket_ev=8 * 10**9))
ROUND = ExpirationParams(10, bytes(range(32, 64)))
PRICE = PriceInfo(1200, 1000)
L1_BLOCK = 100


def issue(
    max_float: int = 10**18, price: PriceInfo = PRICE, gas_price: int = 10**9
) -> TicketParams:
    context = IssueContext(
        gas_price=gas_price,
        max_float=max_float,
        last_seen_l1_block=L1_BLOCK,
        expiration_params=ROUND,
    )
    return RECIPIENT.ticket_params(sender=SENDER, price=price.price(), context=context, seed=42)


PARAMS = issue()
# Cheap gas and a reserve share of one EV: faceValue = EV, so every ticket wins.
WINNING_PARAMS = issue(max_float=RECIPIENT.config.ticket_ev, gas_price=1)
VIEW = RecipientView(
    latest_l1_block=L1_BLOCK,
    last_initialized_round=10,
    sender_info=SenderInfo(deposit=10**18, withdraw_round=0, reserve_funds_remaining=10**18),
)


def payment(
    nonces: tuple[int, ...] = (1, 2, 3),
    params: TicketParams = PARAMS,
    key: PrivateKey = SENDER_KEY,
) -> Payment:
    return Payment(
        sender=SENDER,
        ticket_params=params,
        expiration_params=params.expiration_params,
        tickets=sign_tickets(key, params, SENDER, nonces),
        expected_price=PRICE,
    )


def with_bad_second_signature(p: Payment) -> Payment:
    bad = sign_tickets(OTHER_KEY, PARAMS, SENDER, (2,))
    return replace(p, tickets=(p.tickets[0], *bad, p.tickets[2]))


@dataclass(frozen=True)
class Case:
    change: Callable[[Payment], Payment] = lambda p: p
    view: RecipientView = VIEW
    seen: dict[bytes, SeenNonces] | None = None
    error: str | None = None
    fatal: bool = False
    credited: int | None = None  # default: all 3 tickets when accepted, none when refused

    @property
    def expected_credited(self) -> int:
        if self.credited is not None:
            return self.credited
        return 3 if self.error is None else 0


def seen_with(*nonces: int) -> dict[bytes, SeenNonces]:
    return {PARAMS.recipient_rand_hash: SeenNonces(PARAMS.expiration_block, frozenset(nonces))}


SENDER_HEX = to_checksum(SENDER)
OTHER = bytes(range(50, 70))

RULES = [
    pytest.param(Case(), id="valid tickets are all credited"),
    pytest.param(
        Case(
            lambda p: replace(p, sender=b""), error="Could not find Sender for payment", fatal=True
        ),
        id="ticket params without a sender are refused",
    ),
    pytest.param(
        Case(lambda p: replace(p, ticket_params=None, tickets=(), expected_price=None), credited=0),
        id="a payment without ticket params is accepted and fixes the price at zero",
    ),
    pytest.param(
        Case(
            lambda p: replace(p, expected_price=None),
            view=replace(VIEW, active=False),
            error=f"orchestrator {to_checksum(ORCHESTRATOR)} is inactive in round 10, "
            "cannot process payments",
            fatal=True,
        ),
        id="an inactive orchestrator refuses payments before looking at the price",
    ),
    pytest.param(
        Case(
            lambda p: replace(p, expected_price=None),
            error="invalid expected price sent with payment err=expected price is nil",
            fatal=True,
        ),
        id="tickets need an expected price",
    ),
    pytest.param(
        Case(
            lambda p: replace(p, expected_price=PriceInfo(1200, 0)),
            error="invalid expected price sent with payment err=pixels per unit is 0",
            fatal=True,
        ),
        id="an expected price with zero pixels per unit is invalid",
    ),
    pytest.param(
        Case(
            lambda p: replace(p, ticket_params=replace(PARAMS, recipient=OTHER)),
            view=replace(VIEW, sender_info=replace(VIEW.sender_info, withdraw_round=11)),
            error=f"deposit and reserve for sender {SENDER_HEX} is set to unlock soon",
            fatal=True,
        ),
        id="an unlocking sender is refused before the recipient is checked",
    ),
    pytest.param(
        Case(view=replace(VIEW, sender_info=replace(VIEW.sender_info, withdraw_round=12))),
        id="an unlock beyond the next round does not matter yet",
    ),
    pytest.param(
        Case(
            lambda p: replace(p, ticket_params=replace(PARAMS, recipient=OTHER)),
            error="invalid ticket recipient",
            fatal=True,
        ),
        id="tickets for another recipient are fatal",
    ),
    pytest.param(
        Case(lambda p: replace(p, sender=bytes(20)), error="invalid ticket sender", fatal=True),
        id="the zero sender is fatal",
    ),
    pytest.param(
        Case(
            lambda p: replace(p, expected_price=PriceInfo(2400, 1000)),
            error="invalid recipientRand for ticket recipientRandHash",
            fatal=True,
        ),
        id="another price value breaks recipientRand",
    ),
    pytest.param(
        Case(lambda p: replace(p, expected_price=PriceInfo(12, 10))),
        id="an equal price written differently is accepted",
    ),
    pytest.param(
        Case(
            lambda p: replace(p, ticket_params=replace(PARAMS, seed=43)),
            error="invalid recipientRand for ticket recipientRandHash",
            fatal=True,
        ),
        id="another seed breaks recipientRand",
    ),
    pytest.param(
        Case(
            lambda p: replace(p, expiration_params=None),
            error="invalid recipientRand for ticket recipientRandHash",
            fatal=True,
        ),
        id="dropping the expiration params breaks recipientRand",
    ),
    pytest.param(
        Case(with_bad_second_signature, error="invalid ticket signature", credited=1),
        id="a bad signature stops crediting from that ticket on",
    ),
    pytest.param(
        Case(
            lambda p: payment(nonces=(1, 2, 2, 3)),
            error=f"invalid ticket senderNonce: already seen sender={SENDER_HEX} nonce=2",
            credited=2,
        ),
        id="a repeated nonce stops crediting from that ticket on",
    ),
    pytest.param(
        Case(
            seen=seen_with(1),
            error=f"invalid ticket senderNonce: already seen sender={SENDER_HEX} nonce=1",
            credited=0,
        ),
        id="a nonce seen in an earlier payment is refused",
    ),
    pytest.param(
        Case(
            lambda p: payment(nonces=(700,)),
            seen=seen_with(*range(1000, 1000 + MAX_SENDER_NONCES)),
            error=f"invalid ticket senderNonce: too many values sender={SENDER_HEX} nonce=700",
            credited=0,
        ),
        id="600 recorded nonces refuse a new one",
    ),
    pytest.param(
        Case(lambda p: payment(nonces=(9, 4, 7)), credited=3),
        id="nonces need not increase",
    ),
    pytest.param(
        Case(
            view=replace(VIEW, latest_l1_block=PARAMS.expiration_block),
            error="TicketParams expired",
            credited=0,
        ),
        id="params expire at their expiration block",
    ),
    pytest.param(
        Case(view=replace(VIEW, latest_l1_block=PARAMS.expiration_block - 1)),
        id="params are live until their expiration block",
    ),
]


@pytest.mark.parametrize("case", RULES)
def test_receive_rules(case: Case) -> None:
    sent = case.change(payment())
    outcome = process_payment(RECIPIENT, sent, case.view, case.seen or {})
    if case.error is None:
        assert outcome.error is None
    else:
        assert outcome.error is not None
        assert str(outcome.error) == case.error
        assert outcome.error.fatal is case.fatal
    assert outcome.credited == case.expected_credited
    assert outcome.credit == case.expected_credited * PARAMS.ev


def test_a_ticket_less_payment_fixes_the_bucket_price_at_zero() -> None:
    outcome = process_payment(RECIPIENT, Payment(sender=SENDER), VIEW, {})
    assert outcome.ok
    assert outcome.price == Price(Fraction(0))


def test_the_payment_price_is_reduced_for_the_bucket() -> None:
    outcome = process_payment(RECIPIENT, payment(), VIEW, {})
    assert outcome.price == Price(Fraction(6, 5))


def test_accepted_nonces_are_recorded_for_later_payments() -> None:
    first = process_payment(RECIPIENT, payment(nonces=(1, 2)), VIEW, {})
    assert first.seen[PARAMS.recipient_rand_hash].nonces == {1, 2}
    again = process_payment(RECIPIENT, payment(nonces=(3, 2)), VIEW, first.seen)
    assert str(again.error).endswith("nonce=2")
    assert again.credited == 1


def test_a_winning_ticket_is_queued_even_when_its_nonce_repeats() -> None:
    assert WINNING_PARAMS.win_prob == MAX_WIN_PROB
    outcome = process_payment(RECIPIENT, payment((1, 1), WINNING_PARAMS), VIEW, {})
    assert [w.ticket.sender_nonce for w in outcome.winners] == [1, 1]
    assert outcome.credited == 1
    assert outcome.winners[0].recipient_rand.to_bytes(32, "big") != ZERO_HASH


def test_a_winning_ticket_with_a_bad_signature_is_not_queued() -> None:
    outcome = process_payment(RECIPIENT, payment((1,), WINNING_PARAMS, OTHER_KEY), VIEW, {})
    assert outcome.winners == ()
    assert str(outcome.error) == "invalid ticket signature"


@pytest.mark.parametrize(
    ("balance", "price", "refused"),
    [
        pytest.param(Fraction(0), Price(Fraction(0)), False, id="free buckets need no balance"),
        pytest.param(PARAMS.ev, Price(Fraction(1)), False, id="one ticket EV is enough"),
        pytest.param(PARAMS.ev - 1, Price(Fraction(1)), True, id="less than one EV is refused"),
    ],
)
def test_balance_check_after_payment(balance: Fraction, price: Price, refused: bool) -> None:
    if refused:
        with pytest.raises(InsufficientBalance, match=r"^Insufficient balance$"):
            check_balance(balance, price, PARAMS.ev)
    else:
        check_balance(balance, price, PARAMS.ev)


def test_issued_params_expire_40_blocks_after_the_last_seen_block() -> None:
    assert PARAMS.expiration_block == L1_BLOCK + PARAMS_EXPIRY_BLOCKS
    assert PARAMS.expiration_params == ROUND
    assert PARAMS.recipient == ORCHESTRATOR


def test_issued_params_are_bound_to_the_sender() -> None:
    other = RECIPIENT.ticket_params(
        sender=OTHER,
        price=PRICE.price(),
        context=IssueContext(10**9, 10**18, L1_BLOCK, ROUND),
        seed=42,
    )
    assert other.recipient_rand_hash != PARAMS.recipient_rand_hash


def test_free_price_issues_free_params() -> None:
    free = issue(price=PriceInfo(0, 1))
    assert (free.face_value, free.win_prob) == (0, 0)
    assert free.ev == 0


@pytest.mark.parametrize(
    ("max_float", "gas_price"),
    [
        pytest.param(RECIPIENT.config.ticket_ev - 1, 1, id="a reserve share below the EV"),
        pytest.param(
            RECIPIENT.config.ticket_ev, 10**9, id="a face value below both tx cost and 3 gwei gas"
        ),
    ],
)
def test_insufficient_sender_reserve(max_float: int, gas_price: int) -> None:
    with pytest.raises(InsufficientSenderReserve, match=r"^insufficient sender reserve$"):
        issue(max_float=max_float, gas_price=gas_price)


@pytest.mark.parametrize(
    ("block_hash", "expected"),
    [
        pytest.param(b"\x01" * 32, ExpirationParams(7, b"\x01" * 32), id="the round's own hash"),
        pytest.param(ZERO_HASH, ExpirationParams(6, b"\x02" * 32), id="zero hash falls back"),
    ],
)
def test_round_expiration_params(block_hash: bytes, expected: ExpirationParams) -> None:
    assert round_expiration_params(7, block_hash, b"\x02" * 32) == expected
