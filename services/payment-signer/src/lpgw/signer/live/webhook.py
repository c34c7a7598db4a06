"""The optional auth webhook of /generate-live-payment (payments.md §11.5).

`interpret` turns the webhook's HTTP answer into a verdict or the reference's error (pure);
`HttpAuthWebhook` is the httpx adapter (POST, JSON, 5 s timeout). Our own bearer token is
never forwarded: the webhook sees the caller's other headers and the state.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import httpx
from lpgw.signer.errors import BadGateway, SignerError, WebhookRejected
from lpgw.signer.live.request import folded

TIMEOUT_S = 5.0
HIDDEN_HEADERS = frozenset({"authorization", "cookie"})


class WebhookFailed(SignerError):
    """The webhook could not be asked or answered nonsense: 500, as in the reference."""


@dataclass(frozen=True)
class Verdict:
    """An accepted call: when to ask again, whom it is for, and an optional price ceiling."""

    expiry: int | None = None
    auth_id: str | None = None
    max_price: Fraction | None = None


def _max_price(value: object) -> Fraction | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadGateway("invalid maxPrice from auth webhook")
    fields = folded(value)
    raw = fields.get("price")
    if str(fields.get("currency", "")).lower() != "wei" or isinstance(raw, bool):
        raise BadGateway("invalid maxPrice from auth webhook")
    try:
        price = Fraction(str(raw))
    except (ValueError, ZeroDivisionError):
        raise BadGateway("invalid maxPrice from auth webhook") from None
    if price <= 0:
        raise BadGateway("invalid maxPrice from auth webhook")
    return price


def interpret(http_status: int, body: bytes) -> Verdict:
    """The reference rules: non-200 / bad JSON / no positive status → 500; status ≠ 200 →
    that status with `reason`; invalid maxPrice → 502."""
    if http_status != 200:
        raise WebhookFailed(f"auth webhook answered HTTP {http_status}")
    try:
        document: Any = json.loads(body)
    except ValueError:
        raise WebhookFailed("auth webhook answered invalid JSON") from None
    if not isinstance(document, dict):
        raise WebhookFailed("auth webhook answered invalid JSON")
    status = document.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or status <= 0:
        raise WebhookFailed("auth webhook answered no status")
    if status != 200:
        reason = document.get("reason")
        if not isinstance(reason, str) or not reason:
            reason = f"signer auth rejected request with status {status}"
        raise WebhookRejected(status if 400 <= status <= 599 else 403, reason)
    expiry = document.get("expiry")
    auth_id = document.get("auth_id")
    return Verdict(
        expiry=expiry if isinstance(expiry, int) and not isinstance(expiry, bool) else None,
        auth_id=auth_id if isinstance(auth_id, str) and auth_id else None,
        max_price=_max_price(document.get("maxPrice")),
    )


def forwarded_headers(headers: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {k: v for k, v in headers.items() if k.lower() not in HIDDEN_HEADERS}


class AuthWebhook(Protocol):
    async def check(self, headers: Mapping[str, list[str]], state: dict[str, Any]) -> Verdict: ...


class HttpAuthWebhook:
    def __init__(self, url: str, headers: Mapping[str, str], client: httpx.AsyncClient) -> None:
        self._url = url
        self._headers = dict(headers)
        self._client = client

    async def check(self, headers: Mapping[str, list[str]], state: dict[str, Any]) -> Verdict:
        body = {"headers": forwarded_headers(headers), "state": state}
        try:
            response = await self._client.post(
                self._url, json=body, headers=self._headers, timeout=TIMEOUT_S
            )
        except httpx.HTTPError as exc:
            raise WebhookFailed(f"auth webhook unreachable: {type(exc).__name__}") from None
        return interpret(response.status_code, response.content)


def parse_header_list(text: str) -> dict[str, str]:
    """`k:v,k2:v2` (the reference flag format) → headers."""
    headers = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ValueError("headers are `name:value` pairs separated by commas")
        headers[name.strip()] = value.strip()
    return headers
