"""`Gate`: who may call the AI and BYOC routes, decided once per request before any work.

Three modes (`INTAKE_AI_AUTH`):

- `keys` (default): `Authorization: Bearer <API key>`, keys made with `lpgw-api-keys`; one
  Redis round trip checks the key and charges its rate limit, shared by every replica.
- `webhook`: the reference's auth webhook decides (`access.webhook`); its answers are cached
  briefly.
- `none`: everyone is "anonymous". For local development only (refused with LPGW_ENV=prod);
  a warning is logged when the gate is made.

Wiring, in the app's lifespan (intake's Redis client and httpx client are shared, not made
here; the gate closes neither; `VideoIntake` already holds one of each):

    gate = Gate.from_settings(settings, video.redis, video.http)
    ...
    try:
        caller = await gate.admit(request.headers, str(request.url))
    except AccessError as exc:
        reply = reply_for_access_error(exc)  # status, error body, WWW-Authenticate/Retry-After
    # caller.account: the API key's id (the account the signer records spend under), the
    # webhook's account, or "anonymous"
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx
from lpgw.apikeys import Admitted, ApiKeyStore, Decision, RateLimit, Refused
from lpgw.apikeys.tokens import MalformedKey, PresentedKey, parse_key
from lpgw.intake.access.bearer import authorization, bearer_token
from lpgw.intake.access.errors import (
    AccessUnavailable,
    InvalidCredentials,
    RateLimited,
)
from lpgw.intake.access.webhook import ANONYMOUS, AiAuthWebhook
from lpgw.intake.settings import IntakeSettings
from lpgw.service.logs import get_logger
from lpgw.state import Keys
from redis.asyncio import Redis
from redis.exceptions import RedisError

AuthMode = Literal["keys", "webhook", "none"]
INVALID_KEY = "invalid API key"
log = get_logger(__name__)


class KeyAdmission(Protocol):
    """What the gate needs of the key store (ApiKeyStore in production)."""

    async def admit(self, presented: PresentedKey) -> Decision: ...


@dataclass(frozen=True)
class Caller:
    """Who is calling: `account` names them in logs and is the account their spend is
    recorded under."""

    account: str
    via: AuthMode
    name: str | None = None
    """The API key's name (keys mode)."""


_OPEN = Caller(ANONYMOUS, "none")


class Gate:
    def __init__(
        self,
        mode: AuthMode,
        *,
        keys: KeyAdmission | None = None,
        webhook: AiAuthWebhook | None = None,
    ) -> None:
        if mode == "keys" and keys is None:
            raise ValueError("the keys mode needs a key store")
        if mode == "webhook" and webhook is None:
            raise ValueError("the webhook mode needs a webhook")
        self.mode: AuthMode = mode
        self._keys = keys
        self._webhook = webhook
        if mode == "none":
            log.warning("ai_auth_disabled", extra={"reason": "INTAKE_AI_AUTH=none"})

    @classmethod
    def from_settings(
        cls, settings: IntakeSettings, redis: Redis, http: httpx.AsyncClient
    ) -> "Gate":
        """The gate `INTAKE_AI_AUTH` asks for, on intake's shared Redis and HTTP clients."""
        match settings.intake_ai_auth:
            case "keys":
                limit = RateLimit(
                    settings.intake_api_key_rate_per_minute, settings.intake_api_key_burst
                )
                return cls("keys", keys=ApiKeyStore(redis, Keys(settings.bus_prefix), limit))
            case "webhook":
                url = settings.intake_ai_auth_webhook_url
                if not url:
                    raise ValueError("INTAKE_AI_AUTH=webhook needs INTAKE_AI_AUTH_WEBHOOK_URL")
                webhook = AiAuthWebhook(url, http, settings.intake_ai_auth_cache_s)
                return cls("webhook", webhook=webhook)
            case _:
                return cls("none")

    async def admit(self, headers: Mapping[str, str], url: str) -> Caller:
        """The caller, or Unauthorized, RateLimited or AccessUnavailable."""
        if self._keys is not None:
            return await self._admit_key(self._keys, bearer_token(authorization(headers)))
        if self._webhook is not None:
            account = await self._webhook.check(url, authorization(headers))
            return Caller(account, "webhook")
        return _OPEN

    async def _admit_key(self, keys: KeyAdmission, token: str) -> Caller:
        try:
            presented = parse_key(token)
        except MalformedKey:
            raise InvalidCredentials(INVALID_KEY) from None
        try:
            decision = await keys.admit(presented)
        except (RedisError, OSError) as exc:
            log.warning("api_keys_unavailable", extra={"error": type(exc).__name__})
            raise AccessUnavailable("API keys cannot be checked now, retry later") from None
        match decision:
            case Admitted(key_id=key_id, name=name):
                return Caller(key_id, "keys", name)
            case Refused(key_id=key_id, reason=reason):
                log.info("api_key_refused", extra={"key_id": key_id, "reason": reason})
                raise InvalidCredentials(INVALID_KEY)
            case _:
                raise RateLimited(decision.retry_after_s)
