"""The orchestrator receiving a payment (payments.md §3.4), in the reference's order.

Pure: chain facts and the seen-nonce sets come in as data, and the outcome says what to
credit, which winners to queue and the new seen-sets. An off-chain orchestrator (no PM at all)
accepts every payment and never calls this.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction

from lpgw.pm.errors import (
    InsufficientBalance,
    InvalidExpectedPrice,
    InvalidPrice,
    InvalidRecipientRand,
    InvalidTicketRecipient,
    InvalidTicketSender,
    InvalidTicketSignature,
    OrchestratorInactive,
    ReceiveError,
    SenderMissing,
    SenderUnlocking,
    TicketParamsExpired,
)
from lpgw.pm.nonces import SeenNonces, record_nonce
from lpgw.pm.params import ExpirationParams, SenderInfo, TicketParams, TicketSenderParams
from lpgw.pm.price import ZERO_PRICE, Price, PriceInfo
from lpgw.pm.recipient import Recipient
from lpgw.pm.recipient_rand import recipient_rand_hash
from lpgw.pm.signing import verify_ticket_signature
from lpgw.pm.tickets import Ticket
from lpgw.pm.winning import is_winning

ZERO_ADDRESS = bytes(20)


@dataclass(frozen=True)
class Payment:
    """`net.Payment` as plain data; `sender` may be empty, as on the wire."""

    sender: bytes
    ticket_params: TicketParams | None = None
    expiration_params: ExpirationParams | None = None
    tickets: tuple[TicketSenderParams, ...] = ()
    expected_price: PriceInfo | None = None


@dataclass(frozen=True)
class RecipientView:
    """Chain facts the orchestrator holds while receiving."""

    latest_l1_block: int
    last_initialized_round: int
    sender_info: SenderInfo
    active: bool = True


@dataclass(frozen=True)
class WinningTicket:
    """Everything `redeemWinningTicket(ticket, sig, recipientRand)` needs."""

    ticket: Ticket
    sig: bytes
    recipient_rand: int = field(repr=False)  # secret until redeemed: a sender could grind it


@dataclass(frozen=True)
class TicketReceipt:
    """One ticket's fate: won, the first error, and the seen-set after it."""

    ticket: Ticket
    won: bool = False
    recipient_rand: int = field(default=0, repr=False)
    error: ReceiveError | None = None
    seen: SeenNonces | None = None


def _address(raw: bytes) -> bytes:
    """Go's BytesToAddress: keep the last 20 bytes, left-pad shorter input."""
    return raw[-20:].rjust(20, b"\0")


def receive_ticket(
    recipient: Recipient,
    *,
    params: TicketParams,
    sender: bytes,
    sender_params: TicketSenderParams,
    price: Price,
    view: RecipientView,
    seen: SeenNonces | None,
) -> TicketReceipt:
    """Checks of §3.4 step 6 in order; a winner is reported even if nonce or expiry fail."""
    ticket = Ticket.from_params(params, sender, sender_params.sender_nonce)
    rand = recipient.rand(seed=params.seed, sender=sender, params=params, price=price)
    sig = sender_params.sig
    refused: ReceiveError | None = None
    if view.sender_info.unlocking(view.last_initialized_round):
        refused = SenderUnlocking(sender)
    elif ticket.recipient != recipient.address:
        refused = InvalidTicketRecipient()
    elif ticket.sender == ZERO_ADDRESS:
        refused = InvalidTicketSender()
    elif recipient_rand_hash(rand) != ticket.recipient_rand_hash:
        refused = InvalidRecipientRand()
    elif not verify_ticket_signature(ticket, sig):
        refused = InvalidTicketSignature()
    if refused is not None:
        return TicketReceipt(ticket=ticket, recipient_rand=rand, error=refused, seen=seen)
    won = is_winning(sig, rand, ticket.win_prob)
    try:
        seen = record_nonce(
            seen, sender=sender, nonce=ticket.sender_nonce, expiration_block=params.expiration_block
        )
    except ReceiveError as exc:
        return TicketReceipt(ticket=ticket, won=won, recipient_rand=rand, error=exc, seen=seen)
    if params.expiration_block <= view.latest_l1_block:
        refused = TicketParamsExpired()
    return TicketReceipt(ticket=ticket, won=won, recipient_rand=rand, error=refused, seen=seen)


@dataclass(frozen=True)
class PaymentOutcome:
    """What to apply to the bucket (sender, manifest id) after a payment."""

    price: Price | None = None
    credit: Fraction = Fraction(0)
    credited: int = 0
    winners: tuple[WinningTicket, ...] = ()
    seen: Mapping[bytes, SeenNonces] = field(default_factory=dict)
    error: ReceiveError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def process_payment(
    recipient: Recipient,
    payment: Payment,
    view: RecipientView,
    seen: Mapping[bytes, SeenNonces],
) -> PaymentOutcome:
    """ProcessPayment: credit EV per valid ticket until the first error, queue every winner.

    A fatal error aborts at once; tickets credited before it stay credited, as in the
    reference. After a non-fatal error no later ticket is credited and, like the reference,
    the last non-fatal error is the payment's error. `price` is the value the bucket's price
    is fixed at when it is not fixed yet (0 for a ticket-less payment).
    """
    if payment.ticket_params is not None and not payment.sender:
        return PaymentOutcome(error=SenderMissing(), seen=seen)
    if payment.ticket_params is None:
        return PaymentOutcome(price=ZERO_PRICE, seen=seen)
    echoed = payment.ticket_params
    if not view.active:
        return PaymentOutcome(
            error=OrchestratorInactive(echoed.recipient, view.last_initialized_round), seen=seen
        )
    if payment.expected_price is None:
        return PaymentOutcome(error=InvalidExpectedPrice("expected price is nil"), seen=seen)
    try:
        price = payment.expected_price.price()
    except InvalidPrice as exc:
        return PaymentOutcome(error=InvalidExpectedPrice(str(exc)), seen=seen)

    # The orchestrator hashes the Payment's expiration params, not the nested copy.
    params = replace(echoed, expiration_params=payment.expiration_params or ExpirationParams())
    sender = _address(payment.sender)
    table = dict(seen)
    credit = Fraction(0)
    credited = 0
    winners: list[WinningTicket] = []
    error: ReceiveError | None = None
    for sender_params in payment.tickets:
        receipt = receive_ticket(
            recipient,
            params=params,
            sender=sender,
            sender_params=sender_params,
            price=price,
            view=view,
            seen=table.get(params.recipient_rand_hash),
        )
        if receipt.seen is not None:
            table[params.recipient_rand_hash] = receipt.seen
        if receipt.error is not None and receipt.error.fatal:
            return PaymentOutcome(
                price=price,
                credit=credit,
                credited=credited,
                winners=tuple(winners),
                seen=table,
                error=receipt.error,
            )
        if receipt.error is not None:
            error = receipt.error
        if error is None:
            credit += receipt.ticket.ev
            credited += 1
        if receipt.won:
            winners.append(WinningTicket(receipt.ticket, sender_params.sig, receipt.recipient_rand))
    return PaymentOutcome(
        price=price,
        credit=credit,
        credited=credited,
        winners=tuple(winners),
        seen=table,
        error=error,
    )


def check_balance(balance: Fraction, price: Price, ticket_ev: int | Fraction) -> None:
    """After a payment with a non-zero price the bucket must hold at least one ticket's EV."""
    if price.value > 0 and balance < ticket_ev:
        raise InsufficientBalance()
