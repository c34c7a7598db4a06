"""Property: what the library signs the orchestrator accepts; any single flipped byte fails."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from lpgw.eth import PrivateKey
from lpgw.pm.encoding import uint
from lpgw.pm.params import ExpirationParams, SenderInfo, TicketParams, TicketSenderParams
from lpgw.pm.price import PriceInfo
from lpgw.pm.receiving import Payment, RecipientView, process_payment
from lpgw.pm.recipient import IssueContext, Recipient, RecipientConfig
from lpgw.pm.signing import sign_tickets
from lpgw.pm.tickets import Ticket

KEYS = [PrivateKey(bytes([n]) * 32) for n in (0x11, 0x22, 0x33)]
RECIPIENT = Recipient(bytes(range(1, 21)), bytes([3]) + bytes(31), RecipientConfig(ticket_ev=5))
ROUND = ExpirationParams(4000, bytes(range(100, 132)))
VIEW = RecipientView(
    latest_l1_block=100,
    last_initialized_round=4000,
    sender_info=SenderInfo(deposit=10**18, withdraw_round=0, reserve_funds_remaining=10**18),
)
PREIMAGE_LENGTH = 232

keys = st.sampled_from(KEYS)
prices = st.builds(PriceInfo, st.integers(1, 10**6), st.integers(1, 10**6))
nonces = st.integers(1, 2**32 - 1)
seeds = st.integers(0, 2**256 - 1)
gas_prices = st.integers(1, 10**9)


def issue(key: PrivateKey, price: PriceInfo, seed: int, gas_price: int) -> TicketParams:
    context = IssueContext(gas_price, 10**18, 100, ROUND)
    return RECIPIENT.ticket_params(
        sender=key.address, price=price.price(), context=context, seed=seed
    )


def pay(params: TicketParams, sender: bytes, price: PriceInfo, sent: TicketSenderParams) -> Payment:
    return Payment(
        sender=sender,
        ticket_params=params,
        expiration_params=params.expiration_params,
        tickets=(sent,),
        expected_price=price,
    )


def from_preimage(preimage: bytes) -> Ticket:
    """The ticket whose hashed fields are `preimage` (the 232-byte layout of payments.md §2.2)."""
    return Ticket(
        recipient=preimage[0:20],
        sender=preimage[20:40],
        face_value=uint(preimage[40:72]),
        win_prob=uint(preimage[72:104]),
        sender_nonce=uint(preimage[104:136]),
        recipient_rand_hash=preimage[136:168],
        expiration_params=ExpirationParams(uint(preimage[168:200]), preimage[200:232]),
    )


@settings(max_examples=40, deadline=None)
@given(key=keys, price=prices, nonce=nonces, seed=seeds, gas_price=gas_prices)
def test_signed_tickets_are_accepted(
    key: PrivateKey, price: PriceInfo, nonce: int, seed: int, gas_price: int
) -> None:
    params = issue(key, price, seed, gas_price)
    (sent,) = sign_tickets(key, params, key.address, [nonce])
    outcome = process_payment(RECIPIENT, pay(params, key.address, price, sent), VIEW, {})
    assert outcome.ok, outcome.error
    assert outcome.credit == params.ev > 0


@settings(max_examples=60, deadline=None)
@given(
    key=keys,
    price=prices,
    nonce=nonces,
    seed=seeds,
    position=st.integers(0, 64),
    mask=st.integers(1, 255),
)
def test_a_flipped_signature_byte_is_refused(
    key: PrivateKey, price: PriceInfo, nonce: int, seed: int, position: int, mask: int
) -> None:
    params = issue(key, price, seed, 1)
    (sent,) = sign_tickets(key, params, key.address, [nonce])
    sig = bytearray(sent.sig)
    sig[position] ^= mask
    tampered = replace(sent, sig=bytes(sig))
    outcome = process_payment(RECIPIENT, pay(params, key.address, price, tampered), VIEW, {})
    assert str(outcome.error) == "invalid ticket signature"
    assert outcome.credited == 0


@settings(max_examples=80, deadline=None)
@given(
    key=keys,
    price=prices,
    nonce=nonces,
    seed=seeds,
    position=st.integers(0, PREIMAGE_LENGTH - 1),
    mask=st.integers(1, 255),
)
def test_a_flipped_hashed_byte_is_refused(
    key: PrivateKey, price: PriceInfo, nonce: int, seed: int, position: int, mask: int
) -> None:
    params = issue(key, price, seed, 1)
    (sent,) = sign_tickets(key, params, key.address, [nonce])
    honest = Ticket.from_params(params, key.address, nonce)
    preimage = bytearray(honest.preimage)
    assert len(preimage) == PREIMAGE_LENGTH
    preimage[position] ^= mask
    forged = from_preimage(bytes(preimage))
    forged_params = replace(
        params,
        recipient=forged.recipient,
        face_value=forged.face_value,
        win_prob=forged.win_prob,
        recipient_rand_hash=forged.recipient_rand_hash,
        expiration_params=forged.expiration_params,
    )
    forged_sent = replace(sent, sender_nonce=forged.sender_nonce)
    payment = pay(forged_params, forged.sender, price, forged_sent)
    outcome = process_payment(RECIPIENT, payment, VIEW, {})
    assert outcome.error is not None
    assert outcome.credited == 0
    assert outcome.winners == ()
