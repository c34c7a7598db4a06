"""The devnet's auth-token authority: one random secret per start (wire.md §3.3, §5.3).

A restarted devnet rejects tokens issued before, exactly as a restarted reference
orchestrator does. The HMAC itself is lpgw.wire's.
"""

import secrets
import time

from lpgw.wire.auth_token import Clock, auth_token_mac, check_auth_token, issue_auth_token
from lpgw.wire.net import lp_rpc_pb2 as pb


class AuthTokens:
    def __init__(self, secret: bytes | None = None, clock: Clock = time.time) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._clock = clock

    def issue(self) -> pb.AuthToken:
        """A fresh random session id, valid 30 minutes."""
        return issue_auth_token(self._secret, clock=self._clock)

    def is_genuine(self, token: pb.AuthToken) -> bool:
        return secrets.compare_digest(
            auth_token_mac(self._secret, token.session_id, token.expiration), token.token
        )

    def verify(self, segment: pb.SegData) -> None:
        """Raise lpgw.wire's Missing/Invalid/ExpiredAuthToken for a segment's token."""
        token = segment.auth_token if segment.HasField("auth_token") else None
        check_auth_token(self._secret, token, clock=self._clock)
