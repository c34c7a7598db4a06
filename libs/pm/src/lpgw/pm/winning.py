"""The winning rule (payments.md §2.4), shared by the orchestrator and the TicketBroker.

A ticket wins when keccak256(sig ‖ pad32(recipientRand)) < winProb. The sender cannot
evaluate it: recipientRand stays secret while the params are live.
"""

from lpgw.eth import keccak256
from lpgw.pm.encoding import pad32


def winning_draw(sig: bytes, recipient_rand: int) -> bytes:
    """The 32-byte lottery draw; `sig` exactly as sent (any length)."""
    return keccak256(sig + pad32(recipient_rand))


def is_winning(sig: bytes, recipient_rand: int, win_prob: int) -> bool:
    return int.from_bytes(winning_draw(sig, recipient_rand), "big") < win_prob
