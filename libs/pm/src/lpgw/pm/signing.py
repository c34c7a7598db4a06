"""Ticket signatures (payments.md §2.3): PersonalSign over the raw 32-byte ticket hash.

Unlike every other Livepeer signature there is no extra keccak of the message. Signatures are
65 bytes r ‖ s ‖ v with v in {27, 28} and low s; other forms are refused before recovery, as
the orchestrator and the TicketBroker contract do.
"""

from collections.abc import Iterable
from typing import Protocol

from lpgw.eth import InvalidSignature, recover_personal
from lpgw.pm.params import ExpirationParams, TicketParams, TicketSenderParams
from lpgw.pm.tickets import MAX_SENDER_NONCE, Ticket


class Signer(Protocol):
    """Anything that signs EIP-191 over raw bytes (lpgw.eth.PrivateKey, a remote signer)."""

    def personal_sign(self, message: bytes) -> bytes: ...


def sign_ticket_hash(signer: Signer, ticket_hash: bytes) -> bytes:
    """PersonalSign of the 32 raw hash bytes (never of its hex, never keccak'd again)."""
    if len(ticket_hash) != 32:
        raise ValueError("a ticket hash is 32 bytes")
    return signer.personal_sign(ticket_hash)


def recover_ticket_hash_signer(ticket_hash: bytes, sig: bytes) -> bytes:
    """Address that signed `ticket_hash`; raises lpgw.eth.InvalidSignature on malformed input."""
    return recover_personal(ticket_hash, sig)


def sign_ticket(signer: Signer, ticket: Ticket) -> bytes:
    return sign_ticket_hash(signer, ticket.hash)


def recover_ticket_signer(ticket: Ticket, sig: bytes) -> bytes:
    return recover_ticket_hash_signer(ticket.hash, sig)


def verify_ticket_signature(ticket: Ticket, sig: bytes) -> bool:
    """True when `sig` is a well-formed signature of the ticket by its sender."""
    try:
        return recover_ticket_signer(ticket, sig) == ticket.sender
    except InvalidSignature:
        return False


def sign_tickets(
    signer: Signer,
    params: TicketParams,
    sender: bytes,
    nonces: Iterable[int],
    expiration_params: ExpirationParams | None = None,
) -> tuple[TicketSenderParams, ...]:
    """One signed TicketSenderParams per nonce, in order, for a Payment under `params`."""
    signed = []
    for nonce in nonces:
        if not 0 < nonce <= MAX_SENDER_NONCE:
            raise ValueError("a sender nonce is a uint32 and starts at 1")
        ticket = Ticket.from_params(params, sender, nonce, expiration_params)
        signed.append(TicketSenderParams(sender_nonce=nonce, sig=sign_ticket(signer, ticket)))
    return tuple(signed)
