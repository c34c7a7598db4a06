"""BYOC job signatures from the payment-signer: the `sender` and `sig` of a JobRequest.

The gateway holds no key, so each BYOC job's Sign(utf8(request ‖ parameters)) (wire.md §4.4)
comes from the signer's `POST /v1/byoc/sign-job`. The same text signs to the same signature,
so a call without a usable answer is sent again like every call of this lib (`transport.py`).
"""

import re
from dataclasses import dataclass

import aiohttp
from lpgw.signer_client.errors import Call, SignerUnavailable
from lpgw.signer_client.transport import SignerCalls

SIGN_JOB_PATH = "/v1/byoc/sign-job"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SIGNATURE = re.compile(r"0x[0-9a-f]{130}")


@dataclass(frozen=True)
class SignedJob:
    """What the JobRequest carries: `sender` (EIP-55 address) and `sig` (`0x` + 130 hex)."""

    sender: str
    sig: str


class SignerJobs:
    def __init__(self, http: aiohttp.ClientSession, signer_url: str, token: str | None) -> None:
        self._calls = SignerCalls(http, signer_url, token)

    async def sign_job(self, request: str, parameters: str) -> SignedJob:
        """The signature of a job's `request` and `parameters` exactly as they will be sent
        (JSON object texts; send "{}" for no parameters). `JobNotSigned` when the signer
        refuses the text."""
        body = {"request": request, "parameters": parameters}
        answer = await self._calls.post(SIGN_JOB_PATH, body, Call.SIGN_JOB)
        sender, sig = answer.get("sender"), answer.get("sig")
        if not (
            isinstance(sender, str)
            and isinstance(sig, str)
            and _ADDRESS.fullmatch(sender)
            and _SIGNATURE.fullmatch(sig)
        ):
            raise SignerUnavailable("the signer's job signature answer is incomplete")
        return SignedJob(sender=sender, sig=sig)
