"""HTTP edge towards an orchestrator's batch AI endpoints and its result store.

TLS: orchestrators use self-signed certificates regenerated at every restart, and no HTTP
client pins a certificate per connection, so verification is off, as go-livepeer does for its
HTTP calls. The auth token in the segment credentials, obtained over the certificate-pinned
gRPC channel, is what ties the request to that orchestrator.
Connections are kept alive and pooled per orchestrator (aiohttp: its C parser costs a fraction
of the CPU of a pure-Python client per request, docs/performance.md).
HTTP statuses and transport errors become attempt failures here, once.
Answers and media files are streamed and read up to `max_response_bytes`: a larger one is an
invalid response rather than memory used up.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Any

import aiohttp
from lpgw.pipelines import MediaKind
from lpgw.session.answers import decode_answer
from lpgw.session.failures import (
    AttemptTimedOut,
    ConnectFailed,
    InvalidResponse,
    MediaUnavailable,
    OrchestratorUnreachable,
    StreamBroken,
    failure_for_status,
)
from lpgw.session.media import absolute_url, decode_data_url, is_data_url, media_content_type
from lpgw.session.sse import split_events
from lpgw.wire.headers import (
    AI_WORKER_AUTHORIZATION,
    AUTHORIZATION_HEADER,
    PAYMENT_HEADER,
    SEGMENT_HEADER,
)

ERROR_BODY_BYTES = 4096
"""Read of an error answer: enough for its message (failures keep 300 characters)."""
CONNECT_TIMEOUT_S = 3.0
"""The reference's dial timeout: a dead orchestrator fails fast, whatever the job's budget."""
READ_CHUNK_BYTES = 64 * 1024
SSE_DONE = b"data: [DONE]"
MAX_EVENT_BYTES = 1024 * 1024
"""One server-sent event: a token's JSON is a few hundred bytes."""


@dataclass(frozen=True)
class InputFile:
    data: bytes
    content_type: str
    filename: str


@dataclass(frozen=True)
class Outgoing:
    """A job's body: JSON fields, or multipart text fields and files."""

    fields: dict[str, Any]
    multipart: bool = False
    files: dict[str, InputFile] = field(default_factory=dict)

    def request_kwargs(self) -> dict[str, Any]:
        """aiohttp's `json=` or `data=` (a FormData is used once, so one per call)."""
        if not self.multipart:
            return {"json": self.fields}
        form = aiohttp.FormData()
        for name, value in self.fields.items():
            form.add_field(name, str(value))
        for name, upload in self.files.items():
            form.add_field(
                name, upload.data, filename=upload.filename, content_type=upload.content_type
            )
        return {"data": form}


Sink = Callable[[bytes], Awaitable[None]]
"""Where the events of a streamed answer go as they arrive."""


def new_http_client() -> aiohttp.ClientSession:
    """The pool of connections to orchestrators. `auto_decompress=False` with `Accept-Encoding:
    identity`: the byte caps count what arrives, so no compressed body can expand past them."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=False, limit=0, enable_cleanup_closed=True),
        headers={"Accept-Encoding": "identity"},
        auto_decompress=False,
    )


class AiWorker:
    def __init__(self, http: aiohttp.ClientSession, *, max_response_bytes: int) -> None:
        self._http = http
        self._max_bytes = max_response_bytes

    async def run(
        self,
        transcoder: str,
        pipeline: str,
        body: Outgoing,
        segment: str,
        payment: str,
        timeout_s: float,
    ) -> dict[str, Any]:
        """POST the job; the orchestrator's JSON answer on 200, read within `timeout_s`."""
        url = absolute_url(transcoder, "/" + pipeline)
        data = await post(
            self._http,
            url,
            timeout_s,
            self._max_bytes,
            headers=_job_headers(segment, payment),
            **body.request_kwargs(),
        )
        return decode_answer(data)

    async def stream(
        self,
        transcoder: str,
        pipeline: str,
        body: Outgoing,
        segment: str,
        payment: str,
        timeout_s: float,
        sink: Sink,
    ) -> int:
        """POST a job answered with server-sent events; the events go to `sink` as they arrive
        (those that arrived together as one piece, `sse.split_events`), and the stream always
        ends with `data: [DONE]` (what OpenAI-style clients wait for; quirk 7). Returns the
        number of events relayed. A failure before the first event is an ordinary attempt
        failure; after it, `StreamBroken`."""
        url = absolute_url(transcoder, "/" + pipeline)
        timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S))
        relayed = 0
        try:
            async with self._http.post(
                url,
                timeout=timeout,
                allow_redirects=False,
                headers=_job_headers(segment, payment),
                **body.request_kwargs(),
            ) as response:
                if response.status != 200:
                    text = await read_at_most(response, ERROR_BODY_BYTES)
                    raise failure_for_status(response.status, text.decode(errors="replace"))
                if not response.content_type.startswith("text/event-stream"):
                    raise InvalidResponse(f"a stream was asked for, {response.content_type} came")
                pending = b""
                async for data in response.content.iter_any():
                    events, pending = split_events(pending + data)
                    if len(pending) > MAX_EVENT_BYTES:
                        too_large = StreamBroken if relayed else InvalidResponse
                        raise too_large(f"an event is larger than {MAX_EVENT_BYTES} bytes")
                    answer = list(takewhile(lambda event: event.strip() != SSE_DONE, events))
                    if answer:
                        await sink(b"".join(answer))
                        relayed += len(answer)
                    if len(answer) < len(events):  # the orchestrator's [DONE]
                        break
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise ConnectFailed(type(exc).__name__) from exc
        except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
            failure: type[Exception] = StreamBroken if relayed else AttemptTimedOut
            raise failure(f"the stream did not end within {timeout_s:.1f} s") from exc
        except aiohttp.ClientError as exc:
            failure = StreamBroken if relayed else OrchestratorUnreachable
            raise failure(type(exc).__name__) from exc
        if not relayed:
            raise InvalidResponse("the stream ended without an event")
        await sink(SSE_DONE + b"\n\n")
        return relayed

    async def fetch_media(
        self, transcoder: str, url: str, kind: MediaKind, timeout_s: float
    ) -> tuple[bytes, str]:
        """(bytes, content type) of one result file, from the orchestrator or a data: URL."""
        if is_data_url(url):
            data, media_type = decode_data_url(url)
            return data, media_content_type(media_type, kind)
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self._http.get(
                absolute_url(transcoder, url), timeout=timeout, allow_redirects=False
            ) as response:
                if response.status != 200:
                    raise MediaUnavailable(f"media download answered {response.status}")
                content_type = media_content_type(response.headers.get("content-type"), kind)
                data = await read_at_most(response, self._max_bytes)
        except TimeoutError as exc:
            raise MediaUnavailable(f"media not downloaded within {timeout_s:g} s") from exc
        except aiohttp.ClientError as exc:
            raise MediaUnavailable(type(exc).__name__) from exc
        if len(data) > self._max_bytes:
            raise InvalidResponse(f"a media file is larger than {self._max_bytes} bytes")
        return data, content_type


def _job_headers(segment: str, payment: str) -> dict[str, str]:
    return {
        SEGMENT_HEADER: segment,
        PAYMENT_HEADER: payment,
        AUTHORIZATION_HEADER: AI_WORKER_AUTHORIZATION,
    }


async def post(
    http: aiohttp.ClientSession,
    url: str,
    timeout_s: float,
    max_bytes: int,
    **request: Any,
) -> bytes:
    """POST to an orchestrator; the body of a 200 answer. The one place where a call's
    exceptions and statuses become failure types."""
    timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S))
    try:
        async with http.post(url, timeout=timeout, allow_redirects=False, **request) as response:
            status = response.status
            data = await read_at_most(response, max_bytes if status == 200 else ERROR_BODY_BYTES)
    except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
        raise ConnectFailed(type(exc).__name__) from exc
    except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
        raise AttemptTimedOut(f"no answer within {timeout_s:.1f} s") from exc
    except aiohttp.ClientError as exc:
        raise OrchestratorUnreachable(type(exc).__name__) from exc
    if status != 200:
        text = data[:ERROR_BODY_BYTES].decode("utf-8", errors="replace")
        raise failure_for_status(status, text)
    if len(data) > max_bytes:
        raise InvalidResponse(f"response is larger than {max_bytes} bytes")
    return data


async def read_at_most(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, or only its first `limit` + 1 bytes when it is longer (the caller tells)."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
        body += chunk
        if len(body) > limit:
            break
    return bytes(body[: limit + 1])
