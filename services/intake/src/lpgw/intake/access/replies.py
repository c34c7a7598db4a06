"""Refusals at the door as HTTP answers, in one place: 401 with `WWW-Authenticate: Bearer`
(RFC 6750; `error="invalid_token"` when a token was sent and is no good), 429 with
`Retry-After`, 503 when keys cannot be checked. Bodies carry both error envelopes."""

import math

from lpgw.intake.access.errors import (
    AccessError,
    AccessUnavailable,
    InvalidCredentials,
    RateLimited,
    Unauthorized,
)
from lpgw.intake.replies import Reply
from lpgw.service.envelope import error_body

CHALLENGE = "Bearer"
INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'
UNAVAILABLE_RETRY_S = 1


def reply_for_access_error(exc: AccessError) -> Reply:
    match exc:
        case InvalidCredentials():
            return Reply(401, error_body(str(exc)), {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})
        case Unauthorized():
            return Reply(401, error_body(str(exc)), {"WWW-Authenticate": CHALLENGE})
        case RateLimited():
            seconds = retry_after(exc.retry_after_s)
            return Reply(
                429,
                error_body(f"rate limit exceeded: retry in {seconds} s"),
                {"Retry-After": str(seconds)},
            )
        case AccessUnavailable():
            return Reply(503, error_body(str(exc)), {"Retry-After": str(UNAVAILABLE_RETRY_S)})
        case _:
            return Reply(401, error_body("unauthorized"), {"WWW-Authenticate": CHALLENGE})


def retry_after(seconds: float) -> int:
    """Whole seconds, rounded up, never 0 (a retry at once would be refused again)."""
    return max(1, math.ceil(seconds))
