"""The `Livepeer-Payment` message: what the orchestrator needs to credit our tickets.

Ticket params (fields 1-6) and expiration params are copied byte for byte from the
OrchestratorInfo and `expected_price` is its `price_info` (payments.md §4.1): any re-encoding
(a leading zero byte, another way to write the same price) would change the orchestrator's
recipientRand and make the whole payment fail. Pure.
"""

import base64
from collections.abc import Sequence

from lpgw.pm import TicketSenderParams
from lpgw.signer.policy.offer import Offer
from lpgw.wire.net import lp_rpc_pb2 as pb


def payment_message(
    offer: Offer, sender: bytes, tickets: Sequence[TicketSenderParams]
) -> pb.Payment:
    """Payment{sender, expected_price} plus the echoed params and tickets when there are any."""
    payment = pb.Payment(sender=sender)
    if offer.info.HasField("price_info"):
        payment.expected_price.CopyFrom(offer.info.price_info)
    if not tickets:
        return payment
    received = offer.info.ticket_params
    payment.ticket_params.CopyFrom(
        pb.TicketParams(
            recipient=received.recipient,
            face_value=received.face_value,
            win_prob=received.win_prob,
            recipient_rand_hash=received.recipient_rand_hash,
            seed=received.seed,
            expiration_block=received.expiration_block,
        )
    )
    # Required whenever ticket_params are sent: the orchestrator dereferences it (§3.6).
    payment.expiration_params.CopyFrom(received.expiration_params)
    payment.ticket_sender_params.extend(
        pb.TicketSenderParams(sender_nonce=t.sender_nonce, sig=t.sig) for t in tickets
    )
    return payment


def b64(message: pb.Payment | pb.SegData) -> str:
    return base64.b64encode(message.SerializeToString()).decode("ascii")
