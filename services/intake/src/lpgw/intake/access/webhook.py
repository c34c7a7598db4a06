"""The reference's auth webhook (`-authWebhookUrl`, fact 60) asked about AI and BYOC requests.

`POST {"url": "<request URL>"}` with the request's own `Authorization` header forwarded, so the
webhook can check whatever credentials the application sends. A 2xx admits: an empty body as
"anonymous", a JSON object as the `account` it names (if any); any other status refuses (401);
a webhook that cannot be reached or answers something unusable makes the check unavailable
(503). The HTTP shape, timeout and answer limit are the video ingest webhook's
(`lpgw.intake.video.webhook`).

Admissions are remembered for `cache_s` per (Authorization, URL), so a busy client costs the
webhook one call per period rather than one per request; refusals are never remembered.
"""

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from lpgw.intake.access.errors import AccessUnavailable, Unauthorized
from lpgw.intake.video.webhook import MAX_ANSWER_BYTES, TIMEOUT_S
from lpgw.service.logs import get_logger

ANONYMOUS = "anonymous"
ACCOUNT = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
CACHE_ENTRIES = 10_000
log = get_logger(__name__)


@dataclass(frozen=True)
class _Admission:
    account: str
    until: float


class AiAuthWebhook:
    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        cache_s: float,
        timeout_s: float = TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._client = client
        self._cache_s = cache_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._cache: dict[bytes, _Admission] = {}

    async def check(self, request_url: str, authorization: str | None) -> str:
        """The caller's account; Unauthorized or AccessUnavailable otherwise."""
        entry = _cache_key(request_url, authorization)
        now = self._clock()
        cached = self._cache.get(entry)
        if cached is not None and cached.until > now:
            return cached.account
        account = await self._ask(request_url, authorization)
        if self._cache_s > 0:
            self._remember(entry, _Admission(account, now + self._cache_s), now)
        return account

    async def _ask(self, request_url: str, authorization: str | None) -> str:
        headers = {"Authorization": authorization} if authorization is not None else {}
        try:
            response = await self._client.post(
                self.url, json={"url": request_url}, headers=headers, timeout=self._timeout_s
            )
        except httpx.HTTPError as exc:
            log.warning("ai_auth_webhook_unreachable", extra={"error": type(exc).__name__})
            raise AccessUnavailable("auth webhook unavailable, retry later") from None
        if not 200 <= response.status_code < 300:
            raise Unauthorized(f"refused by the auth webhook ({response.status_code})")
        return _account(response.content)

    def _remember(self, entry: bytes, admission: _Admission, now: float) -> None:
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache = {k: v for k, v in self._cache.items() if v.until > now}
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.pop(next(iter(self._cache)))
        self._cache[entry] = admission


def _cache_key(request_url: str, authorization: str | None) -> bytes:
    """A digest, so the cache holds no credentials."""
    text = f"{'-' if authorization is None else '+' + authorization}\n{request_url}"
    return hashlib.sha256(text.encode()).digest()


def _account(body: bytes) -> str:
    if not body.strip():
        return ANONYMOUS
    if len(body) > MAX_ANSWER_BYTES:
        raise AccessUnavailable("auth webhook answer too large")
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        log.warning("ai_auth_webhook_invalid_answer", extra={"reason": "not a JSON object"})
        raise AccessUnavailable("auth webhook answered something other than a JSON object")
    account = answer.get("account")
    if account is None:
        return ANONYMOUS
    if not isinstance(account, str) or not ACCOUNT.fullmatch(account):
        log.warning("ai_auth_webhook_invalid_answer", extra={"reason": "account"})
        raise AccessUnavailable(f"auth webhook named an invalid account (want {ACCOUNT.pattern})")
    return account
