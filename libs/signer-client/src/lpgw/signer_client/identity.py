"""The gateway's OrchestratorRequest identity (address + signature) from the payment-signer.

Selector and session hold no key: the signer computes Sign(EIP-55 address) once and serves it at
POST /sign-orchestrator-info behind a bearer token. Without a signer URL the gateway is
off-chain and sends an empty address and signature, which off-chain orchestrators accept.
"""

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from lpgw.service.secretfile import read_secret_file
from pydantic import SecretStr

logger = logging.getLogger("lpgw.signer_client")

ADDRESS_BYTES = 20
SIGNATURE_BYTES = 65
REQUEST_TIMEOUT_S = 30.0
MAX_BACKOFF_S = 10.0


@dataclass(frozen=True)
class GatewayIdentity:
    address: bytes = b""
    sig: bytes = b""


OFF_CHAIN = GatewayIdentity()


class SignerAnswerInvalid(Exception):
    """The signer answered 200 with something that is not an address and a signature."""


def bearer_token(token: SecretStr | None, token_file: Path | None) -> str | None:
    """SIGNER_TOKEN, else the content of SIGNER_TOKEN_FILE (StartupError if unreadable)."""
    if token is not None:
        return token.get_secret_value()
    if token_file is not None:
        return read_secret_file(token_file)
    return None


def parse_identity(body: object) -> GatewayIdentity:
    """`{"address": "0x<40 hex>", "signature": "0x<130 hex>"}` → raw bytes."""
    if not isinstance(body, dict):
        raise SignerAnswerInvalid("not a JSON object")
    try:
        address = bytes.fromhex(str(body["address"]).removeprefix("0x"))
        sig = bytes.fromhex(str(body["signature"]).removeprefix("0x"))
    except (KeyError, ValueError) as exc:
        raise SignerAnswerInvalid("address or signature missing or not hex") from exc
    if len(address) != ADDRESS_BYTES or len(sig) != SIGNATURE_BYTES:
        raise SignerAnswerInvalid("address or signature has the wrong length")
    return GatewayIdentity(address=address, sig=sig)


async def fetch_identity(
    http: aiohttp.ClientSession, signer_url: str, token: str | None, stop: asyncio.Event
) -> GatewayIdentity | None:
    """Ask the signer until it answers (backoff up to 10 s); None if `stop` is set first."""
    if not signer_url:
        return OFF_CHAIN
    url = signer_url.rstrip("/") + "/sign-orchestrator-info"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    delay = 0.5
    while not stop.is_set():
        try:
            timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            async with http.post(url, json={}, headers=headers, timeout=timeout) as response:
                response.raise_for_status()
                return parse_identity(await response.json(content_type=None))
        except (aiohttp.ClientError, TimeoutError, ValueError, SignerAnswerInvalid) as exc:
            logger.warning(
                "signer_unavailable", extra={"error": type(exc).__name__, "retry_in_s": delay}
            )
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            delay = min(delay * 2, MAX_BACKOFF_S)
    return None
