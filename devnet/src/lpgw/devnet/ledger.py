"""What the devnet was paid, in memory: balances per (sender, bucket), seen nonces, winners.

Buckets follow the reference (payments.md §3.4, §9): a rational balance, a price fixed by the
first payment (its expected price, or 0 for a ticket-less one) and deleted after 10 minutes
untouched. Totals per sender never expire; they are what `GET /ledger` shows. Winning tickets
are kept as queued for redemption (the devnet has no chain to redeem them on).

Every method is synchronous, so one call is atomic on the event loop; `lock` serialises the
payment-then-balance-check of requests on one bucket.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from lpgw.eth import to_checksum
from lpgw.pm import PaymentOutcome, Price, SeenNonces
from lpgw.pm.nonces import drop_expired
from lpgw.pm.rationals import rat_string
from lpgw.pm.receiving import WinningTicket

#: Buckets untouched this long are deleted, balance and fixed price alike.
BUCKET_IDLE_S = 600.0

BucketKey = tuple[bytes, str]


@dataclass
class Bucket:
    balance: Fraction = Fraction(0)
    fixed_price: Price | None = None
    touched: float = 0.0


@dataclass
class SenderTotals:
    tickets: int = 0
    credited_tickets: int = 0
    winning_tickets: int = 0
    winning_face_value: int = 0
    ev_received: Fraction = Fraction(0)
    debited: Fraction = Fraction(0)


@dataclass
class Ledger:
    clock: Callable[[], float] = time.monotonic
    idle_s: float = BUCKET_IDLE_S
    buckets: dict[BucketKey, Bucket] = field(default_factory=dict)
    totals: dict[bytes, SenderTotals] = field(default_factory=dict)
    seen: dict[bytes, SeenNonces] = field(default_factory=dict)
    winners: list[WinningTicket] = field(default_factory=list)
    _locks: dict[BucketKey, asyncio.Lock] = field(default_factory=dict)

    def lock(self, sender: bytes, bucket: str) -> asyncio.Lock:
        return self._locks.setdefault((sender, bucket), asyncio.Lock())

    def _expire_idle(self) -> None:
        cutoff = self.clock() - self.idle_s
        for key in [key for key, b in self.buckets.items() if b.touched <= cutoff]:
            del self.buckets[key]
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                del self._locks[key]

    def bucket(self, sender: bytes, bucket: str) -> Bucket:
        """The live bucket, created empty; reading it counts as touching it."""
        self._expire_idle()
        entry = self.buckets.setdefault((sender, bucket), Bucket())
        entry.touched = self.clock()
        return entry

    def balance(self, sender: bytes, bucket: str) -> Fraction:
        """A bucket's balance without touching it; 0 when there is none."""
        self._expire_idle()
        entry = self.buckets.get((sender, bucket))
        return Fraction(0) if entry is None else entry.balance

    def fixed_price(self, sender: bytes, bucket: str) -> Price | None:
        self._expire_idle()
        entry = self.buckets.get((sender, bucket))
        return None if entry is None else entry.fixed_price

    def _totals(self, sender: bytes) -> SenderTotals:
        return self.totals.setdefault(sender, SenderTotals())

    def record(
        self, sender: bytes, bucket: str, tickets: int, outcome: PaymentOutcome, latest_block: int
    ) -> Fraction:
        """Apply a processed payment (also a refused one: earlier credit stays); new balance."""
        entry = self.bucket(sender, bucket)
        if entry.fixed_price is None and outcome.price is not None:
            entry.fixed_price = outcome.price
        entry.balance += outcome.credit
        self.seen = drop_expired(outcome.seen, latest_block)
        self.winners.extend(outcome.winners)
        totals = self._totals(sender)
        totals.tickets += tickets
        totals.credited_tickets += outcome.credited
        totals.ev_received += outcome.credit
        totals.winning_tickets += len(outcome.winners)
        totals.winning_face_value += sum(w.ticket.face_value for w in outcome.winners)
        return entry.balance

    def debit(self, sender: bytes, bucket: str, fee: Fraction) -> Fraction:
        """Charge finished work; the balance may go negative, as in the reference."""
        entry = self.bucket(sender, bucket)
        entry.balance -= fee
        self._totals(sender).debited += fee
        return entry.balance

    def pending(self, sender: bytes) -> int:
        """Face value of this sender's winners not redeemed yet (all of them, on the devnet)."""
        totals = self.totals.get(sender)
        return 0 if totals is None else totals.winning_face_value

    def snapshot(self) -> dict[str, object]:
        """The `GET /ledger` JSON: exact amounts as integer or `n/d` strings."""
        self._expire_idle()
        senders: dict[str, object] = {}
        for sender, totals in self.totals.items():
            senders[to_checksum(sender)] = {
                "tickets": totals.tickets,
                "credited_tickets": totals.credited_tickets,
                "winning_tickets": totals.winning_tickets,
                "winning_face_value": str(totals.winning_face_value),
                "ev_received": rat_string(totals.ev_received),
                "debited": rat_string(totals.debited),
                "buckets": {
                    name: rat_string(entry.balance)
                    for (owner, name), entry in self.buckets.items()
                    if owner == sender
                },
            }
        return {"senders": senders, "redemption_queue": len(self.winners)}
