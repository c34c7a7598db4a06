"""Why a caller is not let in: one type per reason, mapped to HTTP once, in `replies`.
Messages are what the client is told; they never quote a key or a header."""


class AccessError(Exception):
    """Base of every refusal at the door."""


class Unauthorized(AccessError):
    """No usable credentials, or credentials nobody accepts: 401."""


class MissingCredentials(Unauthorized):
    """No `Authorization: Bearer` header at all (or another scheme)."""


class InvalidCredentials(Unauthorized):
    """A bearer token that is malformed, unknown, revoked or has the wrong secret."""


class RateLimited(AccessError):
    """The key's requests per minute are used up (across every replica): 429."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"rate limit exceeded: retry in {retry_after_s:.1f} s")
        self.retry_after_s = retry_after_s


class AccessUnavailable(AccessError):
    """Redis or the auth webhook cannot answer now, so nobody can be checked: 503."""
