"""recipientRand: the orchestrator's per-params secret number (payments.md §3.2).

The orchestrator never stores it: it re-derives it with an HMAC keyed by its process secret
over everything the sender must echo, so any change to sender, price, face value, win
probability, seed, expiration block or expiration params yields another number and the
payment fails as a whole.
"""

import hashlib
import hmac

from lpgw.eth import keccak256
from lpgw.pm.encoding import minbytes, pad32
from lpgw.pm.params import ExpirationParams, require_address
from lpgw.pm.price import Price


def hmac_message(
    *,
    seed: int,
    sender: bytes,
    face_value: int,
    win_prob: int,
    expiration_block: int,
    price: Price,
    expiration_params: ExpirationParams,
) -> bytes:
    """seed ‖ sender ‖ faceValue ‖ winProb ‖ expirationBlock ‖ |num| ‖ denom ‖ auxData."""
    require_address("sender", sender)
    return (
        minbytes(seed)
        + sender
        + minbytes(face_value)
        + minbytes(win_prob)
        + minbytes(expiration_block)
        + minbytes(abs(price.numerator))
        + minbytes(price.denominator)
        + expiration_params.aux_data
    )


def recipient_rand(secret: bytes, message: bytes) -> int:
    """uint256(HMAC-SHA256(secret, message))."""
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest(), "big")


def recipient_rand_hash(rand: int) -> bytes:
    """keccak256(pad32(recipientRand)): the commitment sent in TicketParams."""
    return keccak256(pad32(rand))
