"""Ticket params and payments between their protobuf form (wire.md §3.6) and lpgw.pm's.

Decoding is as lenient as the reference's: addresses and hashes of the wrong length are cut or
padded (Go's BytesToAddress / BytesToHash), so a bad echo fails in the payment rules with the
reference's text instead of here.
"""

from lpgw.devnet.errors import PaymentRejected
from lpgw.pm import ExpirationParams, Payment, PriceInfo, TicketParams, TicketSenderParams
from lpgw.pm.encoding import minbytes, uint
from lpgw.wire.net import lp_rpc_pb2 as pb

ADDRESS_LENGTH = 20
HASH_LENGTH = 32


def address(raw: bytes) -> bytes:
    """Go's BytesToAddress: the last 20 bytes, left-padded; empty is the zero address."""
    return raw[-ADDRESS_LENGTH:].rjust(ADDRESS_LENGTH, b"\0")


def _hash(raw: bytes) -> bytes:
    return raw[-HASH_LENGTH:].rjust(HASH_LENGTH, b"\0")


def expiration_params_pb(params: ExpirationParams) -> pb.TicketExpirationParams:
    return pb.TicketExpirationParams(
        creation_round=params.creation_round,
        creation_round_block_hash=params.creation_round_block_hash,
    )


def ticket_params_pb(params: TicketParams) -> pb.TicketParams:
    return pb.TicketParams(
        recipient=params.recipient,
        face_value=minbytes(params.face_value),
        win_prob=minbytes(params.win_prob),
        recipient_rand_hash=params.recipient_rand_hash,
        seed=minbytes(params.seed),
        expiration_block=minbytes(params.expiration_block),
        expiration_params=expiration_params_pb(params.expiration_params),
    )


def _expiration_params(message: pb.TicketExpirationParams) -> ExpirationParams:
    if message.creation_round < 0:
        raise PaymentRejected("invalid expiration params: negative creation round")
    return ExpirationParams(message.creation_round, _hash(message.creation_round_block_hash))


def _ticket_params(message: pb.TicketParams) -> TicketParams:
    nested = (
        _expiration_params(message.expiration_params)
        if message.HasField("expiration_params")
        else ExpirationParams()
    )
    return TicketParams(
        recipient=address(message.recipient),
        face_value=uint(message.face_value),
        win_prob=uint(message.win_prob),
        recipient_rand_hash=_hash(message.recipient_rand_hash),
        seed=uint(message.seed),
        expiration_block=uint(message.expiration_block),
        expiration_params=nested,
    )


def payment_from_pb(message: pb.Payment) -> Payment:
    """lpgw.pm's Payment; `sender` stays as sent (empty means no sender)."""
    return Payment(
        sender=message.sender,
        ticket_params=(
            _ticket_params(message.ticket_params) if message.HasField("ticket_params") else None
        ),
        expiration_params=(
            _expiration_params(message.expiration_params)
            if message.HasField("expiration_params")
            else None
        ),
        tickets=tuple(
            TicketSenderParams(sender_nonce=t.sender_nonce, sig=t.sig)
            for t in message.ticket_sender_params
        ),
        expected_price=(
            PriceInfo(message.expected_price.pricePerUnit, message.expected_price.pixelsPerUnit)
            if message.HasField("expected_price")
            else None
        ),
    )
