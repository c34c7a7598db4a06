"""The reference's auth webhook (fact 60): `POST {"url": "<ingest URL>"}` before a stream starts.

200 with an empty body accepts the stream with the defaults; 200 with a JSON body accepts it
as that document configures it (`transcode_config`); any other status refuses it. A webhook
that cannot be reached, or answers something unusable, refuses it too, as a distinct reason.
"""

import httpx
from lpgw.intake.video.errors import AuthDenied, AuthUnavailable
from lpgw.intake.video.transcode_config import (
    InvalidTranscodeConfig,
    TranscodeConfig,
    parse_transcode_config,
)
from lpgw.service.logs import get_logger

TIMEOUT_S = 5.0
MAX_ANSWER_BYTES = 64 * 1024
log = get_logger(__name__)


class AuthWebhook:
    def __init__(self, url: str, client: httpx.AsyncClient, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url
        self._client = client
        self._timeout_s = timeout_s

    async def check(self, ingest_url: str) -> TranscodeConfig:
        """The stream's configuration; AuthDenied or AuthUnavailable otherwise."""
        try:
            response = await self._client.post(
                self.url, json={"url": ingest_url}, timeout=self._timeout_s
            )
        except httpx.HTTPError as exc:
            log.warning("auth_webhook_unreachable", extra={"error": type(exc).__name__})
            raise AuthUnavailable("auth webhook unavailable") from None
        if response.status_code != 200:
            raise AuthDenied(f"refused by the auth webhook ({response.status_code})")
        body = response.content
        if not body.strip():
            return TranscodeConfig()
        if len(body) > MAX_ANSWER_BYTES:
            raise AuthUnavailable("auth webhook answer too large")
        try:
            return parse_transcode_config(body, require_stream_id=True)
        except InvalidTranscodeConfig as exc:
            log.warning("auth_webhook_invalid_answer", extra={"reason": str(exc)})
            raise AuthUnavailable(
                f"auth webhook answered an invalid configuration: {exc}"
            ) from None
