"""The credit maths of payment sessions (`policy/credit.py`) and the stored payment record
(`payments/records.py`). Pure: no servers."""

import json
from fractions import Fraction

import pytest
from lpgw.pm.rationals import rat_string
from lpgw.signer.errors import InvalidRequest
from lpgw.signer.payments.records import Answer, PaymentRecord
from lpgw.signer.policy.credit import Ending, Purchase, after_ending, parse_ending, purchase

EV = Fraction(10)
#: A real ticket EV is a rational a hair off a round number (2**256 - 1 in its denominator).
HAIR = Fraction(1, 2**256 - 1)


@pytest.mark.parametrize(
    ("credit", "fee", "ev", "headroom", "tickets"),
    [
        pytest.param(0, 3, EV, 1, 2, id="small-fee-no-credit-buys-ev-plus-one-ev-of-headroom"),
        pytest.param(0, 3, EV, 0, 1, id="small-fee-no-headroom-buys-the-reference-minimum"),
        pytest.param(0, 3, EV, 3, 4, id="headroom-three-buys-three-more"),
        pytest.param(17, 3, EV, 1, 1, id="credit-just-short-of-the-target-buys-one"),
        pytest.param(20, 3, EV, 1, 0, id="credit-exactly-at-the-target-buys-nothing"),
        pytest.param(25, 3, EV, 1, 0, id="credit-above-the-target-buys-nothing"),
        pytest.param(0, 0, EV, 1, 2, id="zero-fee-still-keeps-ev-plus-headroom"),
        pytest.param(0, 35, EV, 1, 5, id="large-fee-rounds-up-to-whole-tickets"),
        pytest.param(5, 35, EV, 1, 4, id="large-fee-with-credit-exactly-whole-tickets"),
        pytest.param(-7, 3, EV, 1, 3, id="negative-credit-is-bought-back-too"),
        pytest.param(0, 3, Fraction(0), 1, 0, id="free-params-never-buy"),
        pytest.param(
            0,
            10**10,
            Fraction(10**9) - HAIR,
            0,
            11,
            id="exact-rationals-a-hair-below-ten-ev-needs-eleven",
        ),
        pytest.param(
            0,
            10**10,
            Fraction(10**9) + HAIR,
            0,
            10,
            id="exact-rationals-a-hair-above-ten-ev-needs-ten",
        ),
    ],
)
def test_purchase_tops_the_credit_up_to_max_fee_ev_plus_headroom(
    credit: int, fee: int, ev: Fraction, headroom: int, tickets: int
) -> None:
    bought = purchase(Fraction(credit), Fraction(fee), ev, headroom)
    assert bought == Purchase(tickets=tickets, new_credit=ev * tickets, fee=Fraction(fee))
    after = bought.applied(Fraction(credit))
    assert after == credit + ev * tickets - fee
    if ev > 0:  # what it bought covers the fee with `headroom` tickets to spare
        assert after + fee >= max(Fraction(fee), ev) + headroom * ev
        assert after + fee - ev < max(Fraction(fee), ev) + headroom * ev or tickets == 0


#: A payment of 2 units at 3/2 wei that bought 2 tickets of 10: credit += 20 - 3.
BOUGHT = Purchase(tickets=2, new_credit=Fraction(20), fee=Fraction(3))
PRICE = Fraction(3, 2)


@pytest.mark.parametrize(
    ("credit", "ending", "debit_units", "expected"),
    [
        pytest.param(17, Ending.STAGED, None, 0, id="staged-undoes-the-payment-exactly"),
        pytest.param(
            30, Ending.STAGED, None, 13, id="staged-undoes-only-its-own-part-of-a-moved-credit"
        ),
        pytest.param(17, Ending.STAGED, 1, 0, id="staged-ignores-debit-units"),
        pytest.param(17, Ending.SPENT, None, 0, id="spent-drops-a-positive-credit-to-zero"),
        pytest.param(-4, Ending.SPENT, None, -4, id="spent-keeps-a-negative-credit"),
        pytest.param(17, Ending.RECEIVED, None, 17, id="received-as-estimated-changes-nothing"),
        pytest.param(17, Ending.RECEIVED, 2, 17, id="received-with-the-estimated-units"),
        pytest.param(17, Ending.RECEIVED, 0, 20, id="received-nothing-debited-adds-the-fee-back"),
        pytest.param(
            17, Ending.RECEIVED, 1, Fraction(37, 2), id="received-one-unit-adds-one-price-back"
        ),
        pytest.param(
            17, Ending.RECEIVED, 5, Fraction(25, 2), id="received-more-units-takes-the-difference"
        ),
    ],
)
def test_after_ending_corrects_the_credit(
    credit: int, ending: Ending, debit_units: int | None, expected: Fraction
) -> None:
    assert (
        after_ending(
            Fraction(credit), BOUGHT, ending, price=PRICE, units=2, debit_units=debit_units
        )
        == expected
    )


@pytest.mark.parametrize(
    ("value", "ending"),
    [
        pytest.param("received", Ending.RECEIVED, id="received"),
        pytest.param("spent", Ending.SPENT, id="spent"),
        pytest.param("staged", Ending.STAGED, id="staged"),
        pytest.param("RECEIVED", None, id="upper-case-is-refused"),
        pytest.param("", None, id="empty-is-refused"),
        pytest.param(None, None, id="null-is-refused"),
        pytest.param(["spent"], None, id="a-list-is-refused"),
    ],
)
def test_outcome_names(value: object, ending: Ending | None) -> None:
    if ending is not None:
        assert parse_ending(value) is ending
        return
    with pytest.raises(InvalidRequest, match="outcome must be"):
        parse_ending(value)


RECORD = PaymentRecord(
    client="tester",
    session_id="0" * 31 + "1",
    recipient="0x" + "ab" * 20,
    bucket="27_stabilityai/sdxl-turbo",
    units=512 * 512,
    price=Fraction(1001, 3),
    bought=Purchase(
        tickets=3, new_credit=3 * (Fraction(10**9) + HAIR), fee=Fraction(1001 * 512 * 512, 3)
    ),
    fingerprint="f" * 32,
    answer=Answer(
        payment_id="1" * 32,
        payment="CgEB",
        segment="EgIC",
        tickets=3,
        fee="262406144/3",
        credit="-5/7",
    ),
)


def test_a_payment_record_survives_storage_exactly() -> None:
    text = RECORD.to_json()
    assert PaymentRecord.from_json(text) == RECORD
    stored = json.loads(text)
    # Amounts are exact rationals as text, never floats.
    assert stored["price"] == "1001/3"
    assert stored["new_credit"] == rat_string(RECORD.bought.new_credit)
    assert stored["fee"] == "262406144/3"
    assert stored["answer"]["credit"] == "-5/7"


def test_a_ticket_less_record_survives_storage() -> None:
    free = PaymentRecord(
        client="c",
        session_id="2" * 32,
        recipient="0x" + "00" * 20,
        bucket="b",
        units=0,
        price=Fraction(0),
        bought=Purchase(tickets=0, new_credit=Fraction(0), fee=Fraction(0)),
        fingerprint="0" * 32,
        answer=Answer("3" * 32, "", "", 0, "0", "0"),
    )
    assert PaymentRecord.from_json(free.to_json()) == free
