"""The sender validating received ticket params (payments.md §4.2) and the price guard (§4.3)."""

from dataclasses import dataclass, field, replace
from fractions import Fraction

import pytest
from lpgw.pm.errors import PriceMoreThanDoubled, TicketParamsError
from lpgw.pm.ev import MAX_WIN_PROB
from lpgw.pm.params import SenderInfo, TicketParams
from lpgw.pm.price import Price, check_price_drift
from lpgw.pm.recipient import win_prob
from lpgw.pm.validation import SenderLimits, params_expired, validate_ticket_params

FACE_VALUE = 10**15
PARAMS = TicketParams(
    recipient=bytes(range(1, 21)),
    face_value=FACE_VALUE,
    win_prob=win_prob(FACE_VALUE, 8 * 10**9),
    recipient_rand_hash=bytes([7]) * 32,
    seed=1,
    expiration_block=140,
)
INFO = SenderInfo(deposit=5 * 10**17, withdraw_round=0, reserve_funds_remaining=10**18)
FREE = replace(PARAMS, face_value=0, win_prob=0)


@dataclass(frozen=True)
class Case:
    params: TicketParams | None = PARAMS
    latest_l1_block: int = 100
    info: SenderInfo = INFO
    num_tickets: int = 1
    limits: SenderLimits = field(default_factory=SenderLimits)
    error: str | None = None


RULES = [
    pytest.param(Case(), id="sound params are valid"),
    pytest.param(Case(params=None, error="ticketParams is nil"), id="params must be present"),
    pytest.param(
        Case(
            params=replace(PARAMS, expiration_block=0), error="ticketParams expiration block is 0"
        ),
        id="an expiration block is required",
    ),
    pytest.param(
        Case(latest_l1_block=139, error="TicketParams expired"),
        id="params with one block left are expired for the sender",
    ),
    pytest.param(Case(latest_l1_block=138), id="params with two blocks left are usable"),
    pytest.param(
        Case(params=replace(FREE, expiration_block=102), latest_l1_block=100),
        id="free params with blocks left are valid",
    ),
    pytest.param(
        Case(params=FREE, info=SenderInfo(0, 3, 0)),
        id="free params are valid without deposit or reserve",
    ),
    pytest.param(
        Case(params=replace(FREE, expiration_block=100), error="TicketParams expired"),
        id="expiry is checked before the free-params shortcut",
    ),
    pytest.param(
        Case(
            params=replace(PARAMS, face_value=10, win_prob=MAX_WIN_PROB),
            error="ticket faceValue too low faceValue=10",
        ),
        id="a ticket that always wins pays no more than its EV",
    ),
    pytest.param(
        Case(
            limits=SenderLimits(max_ticket_ev=Fraction(10**9)),
            info=replace(INFO, withdraw_round=1),
            error="ticket EV 8000000000.00000 > max ticket EV 1000000000.00000",
        ),
        id="max ticket EV is checked before the sender's chain state",
    ),
    pytest.param(
        Case(
            info=replace(INFO, withdraw_round=11),
            error="unable to validate sender: deposit and reserve is set to unlock soon",
        ),
        id="an unlocking sender cannot pay",
    ),
    pytest.param(
        Case(info=replace(INFO, withdraw_round=12)),
        id="an unlock two rounds away does not stop payments yet",
    ),
    pytest.param(
        Case(info=replace(INFO, reserve_funds_remaining=0, deposit=0), error="no sender reserve"),
        id="a reserve is required and checked before the deposit",
    ),
    pytest.param(Case(info=replace(INFO, deposit=0), error="no sender deposit"), id="deposit"),
    pytest.param(
        Case(
            num_tickets=3000,
            error="total ticket EV 24000000000000.00000 for 3000 tickets > "
            "max total ticket EV 20000000000000.00000",
        ),
        id="a batch must stay under the max total EV",
    ),
    pytest.param(
        Case(
            info=replace(INFO, deposit=10**14),
            error="ticket faceValue 1000000000000000 > max faceValue 100000000000000",
        ),
        id="face value must not exceed the deposit",
    ),
    pytest.param(
        Case(
            info=replace(INFO, deposit=10**16),
            limits=SenderLimits(deposit_multiplier=20),
            error="ticket faceValue 1000000000000000 > max faceValue 500000000000000",
        ),
        id="the deposit multiplier divides the deposit",
    ),
]


@pytest.mark.parametrize("case", RULES)
def test_validate_ticket_params(case: Case) -> None:
    def validate() -> None:
        validate_ticket_params(
            case.params,
            latest_l1_block=case.latest_l1_block,
            sender_info=case.info,
            last_initialized_round=10,
            num_tickets=case.num_tickets,
            limits=case.limits,
        )

    if case.error is None:
        validate()
        return
    with pytest.raises(TicketParamsError) as caught:
        validate()
    assert str(caught.value) == case.error


def test_params_expired_uses_a_one_block_buffer() -> None:
    assert params_expired(PARAMS, 139)
    assert not params_expired(PARAMS, 138)


@pytest.mark.parametrize(
    ("current", "initial", "error"),
    [
        pytest.param(Fraction(2), Fraction(1), None, id="exactly double is tolerated"),
        pytest.param(
            Fraction(5, 2),
            Fraction(1),
            "Orchestrator price has more than doubled, Orchestrator price: 5/2, "
            "Orchestrator initial price: 1",
            id="more than double abandons the session",
        ),
        pytest.param(Fraction(1, 3), Fraction(1), None, id="price drops are fine"),
    ],
)
def test_price_drift_guard(current: Fraction, initial: Fraction, error: str | None) -> None:
    if error is None:
        check_price_drift(Price(current), Price(initial))
        return
    with pytest.raises(PriceMoreThanDoubled) as caught:
        check_price_drift(Price(current), Price(initial))
    assert str(caught.value) == error
