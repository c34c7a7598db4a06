"""Who can run a BYOC capability now: `GET /process/token` on every known orchestrator at
once (wire.md §7.6), keeping the tokens of those with free capacity in the order they answer.

Each ask has its own short timeout and the whole search an overall one (the application's
`Livepeer-Orch-Search-*` headers, within bounds, else 0.5 s and 1 s as the reference intends):
a slow orchestrator only loses its place, never delays the job past the search.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from lpgw.wire.byoc import InvalidJobToken, JobToken
from lpgw.wire.headers import CAPABILITY_HEADER, ETH_ADDRESS_HEADER

logger = logging.getLogger("lpgw.session.byoc")
TOKEN_PATH = "/process/token"
MAX_TOKEN_BYTES = 64 * 1024


@dataclass(frozen=True)
class Offer:
    """An orchestrator that can take the job now."""

    url: str
    token: JobToken


@dataclass(frozen=True)
class Refusal:
    url: str
    reason: str


async def find_offers(
    http: aiohttp.ClientSession,
    urls: Sequence[str],
    *,
    capability: str,
    eth_address: str,
    total_s: float,
    each_s: float,
) -> tuple[list[Offer], list[Refusal]]:
    """Offers in arrival order, and why the others did not offer."""
    offers: list[Offer] = []
    refusals: list[Refusal] = []
    headers = {ETH_ADDRESS_HEADER: eth_address, CAPABILITY_HEADER: capability}

    async def ask(url: str) -> None:
        try:
            token = await _token(http, url, headers, each_s)
        except _NoToken as exc:
            refusals.append(Refusal(url, str(exc)))
            return
        if token.available_capacity > 0:
            offers.append(Offer(url, token))
        else:
            refusals.append(Refusal(url, "no capacity"))

    tasks = [asyncio.ensure_future(ask(url)) for url in urls]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=total_s)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    answered = {o.url for o in offers} | {r.url for r in refusals}
    refusals += [
        Refusal(url, "no token within the search time") for url in urls if url not in answered
    ]
    return offers, refusals


class _NoToken(Exception):
    pass


async def _token(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], timeout_s: float
) -> JobToken:
    try:
        async with http.get(
            url.rstrip("/") + TOKEN_PATH,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,
        ) as response:
            body = await response.content.read(MAX_TOKEN_BYTES + 1)
            if response.status != 200:
                text = body[:200].decode(errors="replace").strip()
                raise _NoToken(f"token answered {response.status}: {text}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise _NoToken(f"token not fetched: {type(exc).__name__}") from exc
    if len(body) > MAX_TOKEN_BYTES:
        raise _NoToken("token answer too large")
    try:
        return JobToken.from_json(body)
    except InvalidJobToken as exc:
        raise _NoToken(f"invalid token: {exc}") from exc
