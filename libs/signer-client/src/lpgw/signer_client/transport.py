"""The one way this lib calls the payment-signer: a POST with the bearer token, sent again
when it got no usable answer, its status mapped to `errors.py` types.

Every call the lib makes is safe to repeat (the signer derives sessions from the offer,
payments from the caller's idempotency key, settles once, and signs a job deterministically),
so a call without a usable answer (no connection, timeout, 5xx) is sent again with the same
body, a few times, before `SignerUnavailable` is raised.
"""

import asyncio
import logging
from typing import Any

import aiohttp
from lpgw.signer_client.errors import Call, PaymentError, SignerUnavailable, refusal_for

logger = logging.getLogger("lpgw.signer_client")

TRIES = 3
RETRY_DELAY_S = 0.2


class SignerCalls:
    def __init__(self, http: aiohttp.ClientSession, signer_url: str, token: str | None) -> None:
        self._http = http
        self._base = signer_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def post(self, path: str, body: dict[str, Any], call: Call) -> dict[str, Any]:
        """POST, sent again on an unusable answer; the answer's JSON object."""
        for attempt in range(1, TRIES + 1):
            try:
                return await self._post_once(path, body, call)
            except SignerUnavailable as exc:
                logger.warning(
                    "signer_call_failed",
                    extra={"call": call.value, "try": attempt, "error": exc.message},
                )
                if attempt == TRIES:
                    raise
            await asyncio.sleep(RETRY_DELAY_S * attempt)
        raise AssertionError("unreachable")

    async def _post_once(self, path: str, body: dict[str, Any], call: Call) -> dict[str, Any]:
        try:
            async with self._http.post(
                self._base + path, json=body, headers=self._headers
            ) as response:
                if response.status != 200:
                    raise refusal_for(response.status, await _message(response), call)
                answer = await response.json(content_type=None)
        except PaymentError:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SignerUnavailable(f"payment signer unreachable ({type(exc).__name__})") from exc
        except ValueError as exc:
            raise SignerUnavailable("the signer answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise SignerUnavailable("the signer answered something that is not a JSON object")
        return answer


async def _message(response: aiohttp.ClientResponse) -> str:
    """`error.message` of the signer's envelope, else a generic text."""
    try:
        body = await response.json(content_type=None)
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError, aiohttp.ClientError):
        return f"payment signer answered {response.status}"
