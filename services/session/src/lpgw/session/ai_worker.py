"""HTTP edge towards an orchestrator's batch AI endpoints and its result store.

TLS: orchestrators use self-signed certificates regenerated at every restart, and httpx
cannot pin a certificate per connection, so verification is off (verify=False), as go-livepeer
does for its HTTP calls. The auth token in the segment credentials, obtained over the
certificate-pinned gRPC channel, is what ties the request to that orchestrator.
HTTP statuses and transport errors become attempt failures here, once.
"""

from typing import Any

import httpx
from lpgw.session.failures import (
    AttemptTimedOut,
    ConnectFailed,
    InvalidResponse,
    MediaUnavailable,
    OrchestratorUnreachable,
    failure_for_status,
)
from lpgw.session.media import absolute_url, decode_data_url, image_content_type, is_data_url
from lpgw.wire.headers import (
    AI_WORKER_AUTHORIZATION,
    AUTHORIZATION_HEADER,
    PAYMENT_HEADER,
    SEGMENT_HEADER,
)

MEDIA_TIMEOUT_S = 4.0
"""The reference's result download timeout (wire.md: fetch promptly, the store is in memory)."""


def new_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=False, follow_redirects=False)


class AiWorker:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def run(
        self,
        transcoder: str,
        pipeline: str,
        body: dict[str, Any],
        segment: str,
        payment: str,
        timeout_s: float,
    ) -> dict[str, Any]:
        """POST the job; the orchestrator's JSON answer on 200."""
        headers = {
            SEGMENT_HEADER: segment,
            PAYMENT_HEADER: payment,
            AUTHORIZATION_HEADER: AI_WORKER_AUTHORIZATION,
        }
        url = absolute_url(transcoder, "/" + pipeline)
        try:
            response = await self._http.post(url, json=body, headers=headers, timeout=timeout_s)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ConnectFailed(type(exc).__name__) from exc
        except httpx.TimeoutException as exc:
            raise AttemptTimedOut(f"no answer within {timeout_s:g} s") from exc
        except httpx.TransportError as exc:
            raise OrchestratorUnreachable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise failure_for_status(response.status_code, response.text)
        try:
            answer = response.json()
        except ValueError as exc:
            raise InvalidResponse("response is not JSON") from exc
        if not isinstance(answer, dict):
            raise InvalidResponse("response is not a JSON object")
        return answer

    async def fetch_media(self, transcoder: str, url: str) -> tuple[bytes, str]:
        """(bytes, content type) of one result file, from the orchestrator or a data: URL."""
        if is_data_url(url):
            data, media_type = decode_data_url(url)
            return data, image_content_type(media_type)
        try:
            response = await self._http.get(absolute_url(transcoder, url), timeout=MEDIA_TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise MediaUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise MediaUnavailable(f"media download answered {response.status_code}")
        return response.content, image_content_type(response.headers.get("content-type"))
