"""The orchestrator's session credential (wire §3.3, §5.3).

token = HMAC-SHA256(secret, utf8(session_id) ‖ minimal big-endian(expiration)). Gateways copy
it verbatim; only an orchestrator issues and checks it. Pure apart from the random session id;
the clock is a parameter.
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from lpgw.wire.errors import ExpiredAuthToken, InvalidAuthToken, MissingAuthToken
from lpgw.wire.net import lp_rpc_pb2 as pb

AUTH_TOKEN_LIFETIME_S = 1800

Clock = Callable[[], float]
"""Unix seconds now; `time.time` in production, a fixed value in tests."""


def auth_token_message(session_id: str, expiration: int) -> bytes:
    """utf8(session_id) ‖ expiration as unsigned big-endian without leading zeros (0 is empty)."""
    magnitude = abs(expiration)
    return session_id.encode() + magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")


def auth_token_mac(secret: bytes, session_id: str, expiration: int) -> bytes:
    return hmac.new(secret, auth_token_message(session_id, expiration), hashlib.sha256).digest()


def new_session_id() -> str:
    """8 lowercase hex characters from 4 random bytes."""
    return secrets.token_hex(4)


def issue_auth_token(
    secret: bytes, *, clock: Clock = time.time, session_id: str | None = None
) -> pb.AuthToken:
    """A token valid for 30 minutes from `clock()`; a fresh random session id unless given."""
    sid = new_session_id() if session_id is None else session_id
    expiration = int(clock()) + AUTH_TOKEN_LIFETIME_S
    return pb.AuthToken(
        token=auth_token_mac(secret, sid, expiration), session_id=sid, expiration=expiration
    )


def check_auth_token(
    secret: bytes, token: pb.AuthToken | None, *, clock: Clock = time.time
) -> None:
    """Raise MissingAuthToken, InvalidAuthToken or ExpiredAuthToken, in the reference order."""
    if token is None:
        raise MissingAuthToken()
    expected = auth_token_mac(secret, token.session_id, token.expiration)
    if not hmac.compare_digest(expected, token.token):
        raise InvalidAuthToken()
    if clock() > token.expiration:
        raise ExpiredAuthToken()
