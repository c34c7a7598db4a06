"""The devnet's ledger rules: fixed prices, idle buckets, exact amounts (payments.md §3.4, §9)."""

from fractions import Fraction

from lpgw.devnet.ledger import Ledger
from lpgw.pm import PaymentOutcome, Price, SeenNonces
from lpgw.pm.nonces import MAX_SENDER_NONCES

SENDER = b"\x05" * 20
BUCKET = "27_stabilityai/sdxl-turbo"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def paid(credit: Fraction, price: Fraction, credited: int = 1) -> PaymentOutcome:
    return PaymentOutcome(price=Price(price), credit=credit, credited=credited)


def test_the_first_payment_fixes_the_buckets_price() -> None:
    ledger = Ledger()

    ledger.record(SENDER, BUCKET, 1, paid(Fraction(10), Fraction(1, 3)), latest_block=1)
    ledger.record(SENDER, BUCKET, 1, paid(Fraction(10), Fraction(2)), latest_block=1)

    assert ledger.fixed_price(SENDER, BUCKET) == Price(Fraction(1, 3))
    assert ledger.fixed_price(SENDER, "27_other") is None


def test_a_bucket_idle_for_ten_minutes_is_forgotten_but_totals_stay() -> None:
    clock = Clock()
    ledger = Ledger(clock=clock)
    ledger.record(SENDER, BUCKET, 2, paid(Fraction(7), Fraction(1), credited=2), latest_block=1)

    clock.now += 599
    assert ledger.debit(SENDER, BUCKET, Fraction(2)) == 5
    clock.now += 600

    snapshot = ledger.snapshot()
    assert ledger.fixed_price(SENDER, BUCKET) is None
    assert snapshot["senders"] == {
        "0x0505050505050505050505050505050505050505": {
            "tickets": 2,
            "credited_tickets": 2,
            "winning_tickets": 0,
            "winning_face_value": "0",
            "ev_received": "7",
            "debited": "2",
            "buckets": {},
        }
    }


def test_balances_are_exact_and_may_go_negative() -> None:
    ledger = Ledger()
    ledger.record(SENDER, BUCKET, 1, paid(Fraction(1, 3), Fraction(1)), latest_block=1)

    balance = ledger.debit(SENDER, BUCKET, Fraction(1, 2))

    assert balance == Fraction(-1, 6)
    senders = ledger.snapshot()["senders"]
    assert isinstance(senders, dict)
    assert next(iter(senders.values()))["buckets"] == {BUCKET: "-1/6"}


def test_seen_nonces_of_expired_params_are_dropped() -> None:
    ledger = Ledger()
    live = SeenNonces(expiration_block=50, nonces=frozenset(range(1, MAX_SENDER_NONCES + 1)))
    gone = SeenNonces(expiration_block=10, nonces=frozenset({1}))
    outcome = PaymentOutcome(price=Price(Fraction(1)), seen={b"a" * 32: live, b"b" * 32: gone})

    ledger.record(SENDER, BUCKET, 0, outcome, latest_block=10)

    assert ledger.seen == {b"a" * 32: live}
