"""The devnet as a paid orchestrator: issuing ticket params and taking payments (payments.md §3).

All ticket maths is lpgw.pm's: `Recipient` issues params bound to (sender, price) with a
secret drawn at every start, `process_payment` receives, `check_balance` is the
`Insufficient balance` rule. Chain facts come from a `ChainView` (the devnet's clock chain).
"""

import logging
from dataclasses import dataclass
from fractions import Fraction

from lpgw.devnet.ledger import Ledger
from lpgw.devnet.ticket_wire import address, payment_from_pb, ticket_params_pb
from lpgw.eth import to_checksum
from lpgw.pm import Payment, PaymentOutcome, Price, ReceiveError, Recipient
from lpgw.pm.chain import ChainView, issue_context, recipient_view
from lpgw.pm.receiving import check_balance, process_payment
from lpgw.pm.recipient import new_seed
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import verify_segdata

ZERO_ADDRESS = bytes(20)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Charge:
    """What finished work is debited from: the bucket and the price the payment bound."""

    sender: bytes
    bucket: str
    price: Price


class Payments:
    def __init__(self, recipient: Recipient, chain: ChainView, ledger: Ledger) -> None:
        self.recipient = recipient
        self.chain = chain
        self.ledger = ledger

    def ticket_params(self, sender: bytes, price: Fraction) -> pb.TicketParams | None:
        """Params for a gateway at `sender` paying `price` wei per unit; None when free or
        when there is no sender to bind them to (an off-chain gateway)."""
        payer = address(sender)
        if price <= 0 or payer == ZERO_ADDRESS:
            return None
        context = issue_context(
            self.chain,
            sender=payer,
            recipient=self.recipient.address,
            pending=self.ledger.pending(payer),
        )
        params = self.recipient.ticket_params(
            sender=payer, price=Price(price), context=context, seed=new_seed()
        )
        return ticket_params_pb(params)

    def price_for(self, sender: bytes, bucket: str, quote: Fraction) -> Fraction:
        """The bucket's fixed price once a payment fixed it, else the current quote."""
        fixed = self.ledger.fixed_price(address(sender), bucket)
        return quote if fixed is None else fixed.value

    @staticmethod
    def verify_segment(segment: pb.SegData, payment: pb.Payment) -> None:
        """SegData must be signed by the payment's sender once the payment names one or
        carries tickets (raises lpgw.wire's InvalidSegmentSignature)."""
        if payment.sender or payment.ticket_sender_params:
            verify_segdata(segment, address(payment.sender))

    async def receive(
        self, payment: pb.Payment, bucket: str, quote: Fraction | None = None
    ) -> Charge:
        """Process `payment` into (sender, bucket); with a `quote`, also require a balance of
        one ticket EV when the quote is not free. Raises lpgw.pm's ReceiveError (HTTP 400).

        Work is charged at the price the payment's ticket params bind, else at the quote.
        """
        converted = payment_from_pb(payment)
        sender = address(payment.sender)
        async with self.ledger.lock(sender, bucket):
            outcome, balance = self._process(converted, sender, bucket)
            if outcome.error is not None:
                raise outcome.error
            quoted = Price(Fraction(0) if quote is None else quote)
            if quote is not None:
                check_balance(balance, quoted, self.recipient.config.ticket_ev)
        bound = outcome.price if converted.ticket_params is not None else None
        return Charge(sender=sender, bucket=bucket, price=quoted if bound is None else bound)

    async def credit(self, payment: pb.Payment, bucket: str) -> ReceiveError | None:
        """Process `payment` into (its sender, `bucket`) and hand back its refusal instead of
        raising it: BYOC logs a refused payment and goes on (wire.md §7.6). Raises
        PaymentRejected only for ticket data it cannot read at all."""
        converted = payment_from_pb(payment)
        sender = address(payment.sender)
        async with self.ledger.lock(sender, bucket):
            outcome, _ = self._process(converted, sender, bucket)
        return outcome.error

    def _process(
        self, converted: Payment, sender: bytes, bucket: str
    ) -> tuple[PaymentOutcome, Fraction]:
        """lpgw.pm's ProcessPayment, recorded (a refused payment keeps its earlier credit)."""
        view = recipient_view(self.chain, sender=sender, recipient=self.recipient.address)
        outcome = process_payment(self.recipient, converted, view, self.ledger.seen)
        balance = self.ledger.record(
            sender, bucket, len(converted.tickets), outcome, view.latest_l1_block
        )
        _log_payment(sender, bucket, len(converted.tickets), outcome)
        return outcome, balance

    def balance(self, sender: bytes, bucket: str) -> Fraction:
        """The bucket's balance now, 0 when it has none; reading does not keep it alive."""
        return self.ledger.balance(address(sender), bucket)

    async def debit(self, charge: Charge, units: int | Fraction) -> None:
        async with self.ledger.lock(charge.sender, charge.bucket):
            self.ledger.debit(charge.sender, charge.bucket, charge.price.fee(units))

    def ledger_json(self) -> dict[str, object]:
        return {
            "payments": True,
            "recipient": to_checksum(self.recipient.address),
            "ticket_ev": str(self.recipient.config.ticket_ev),
            **self.ledger.snapshot(),
        }


def _log_payment(sender: bytes, bucket: str, tickets: int, outcome: PaymentOutcome) -> None:
    if tickets:
        log.info(
            "payment_received",
            extra={
                "sender": to_checksum(sender),
                "bucket": bucket,
                "tickets": tickets,
                "credited": outcome.credited,
                "winners": len(outcome.winners),
                "error": None if outcome.error is None else str(outcome.error),
            },
        )
