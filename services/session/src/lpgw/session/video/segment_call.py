"""`POST /segment` to an orchestrator and the download of its renditions (wire.md §7.3).

The orchestrator answers 200 as soon as it has read and checked the segment; what went wrong
after that is inside the protobuf `TranscodeResult`. Statuses and exceptions become the
session's failure types here and nowhere else.
"""

import asyncio
import time
from dataclasses import dataclass

import aiohttp
from google.protobuf.message import DecodeError
from lpgw.session.ai_worker import CONNECT_TIMEOUT_S, post, read_at_most
from lpgw.session.failures import (
    InvalidResponse,
    MediaUnavailable,
    TranscodeFailed,
)
from lpgw.session.media import absolute_url
from lpgw.wire.headers import PAYMENT_HEADER, SEGMENT_CONTENT_TYPE, SEGMENT_HEADER
from lpgw.wire.net import lp_rpc_pb2 as pb

MAX_ANSWER_BYTES = 1024 * 1024
"""A TranscodeResult holds URLs and an OrchestratorInfo, never media."""


@dataclass(frozen=True)
class Transcoded:
    urls: list[str]
    """One per requested profile, in request order (absolute)."""
    pixels: list[int]
    info: pb.OrchestratorInfo | None
    round_trip_s: float


class SegmentCaller:
    def __init__(self, http: aiohttp.ClientSession, *, max_rendition_bytes: int) -> None:
        self._http = http
        self._max_rendition_bytes = max_rendition_bytes

    async def transcode(
        self,
        transcoder: str,
        *,
        segment_header: str,
        payment_header: str,
        body: bytes,
        profiles: int,
        timeout_s: float,
    ) -> Transcoded:
        headers = {
            SEGMENT_HEADER: segment_header,
            PAYMENT_HEADER: payment_header,
            "Content-Type": SEGMENT_CONTENT_TYPE,
        }
        started = time.monotonic()
        data = await post(
            self._http,
            absolute_url(transcoder, "/segment"),
            timeout_s,
            MAX_ANSWER_BYTES,
            data=body,
            headers=headers,
        )
        round_trip_s = time.monotonic() - started
        return _transcoded(transcoder, data, profiles, round_trip_s)

    async def fetch(self, transcoder: str, url: str, timeout_s: float) -> bytes:
        """One rendition's bytes."""
        timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S))
        try:
            async with self._http.get(
                absolute_url(transcoder, url), timeout=timeout, allow_redirects=False
            ) as response:
                if response.status != 200:
                    raise MediaUnavailable(f"rendition download answered {response.status}")
                data = await read_at_most(response, self._max_rendition_bytes)
        except TimeoutError as exc:
            raise MediaUnavailable(f"rendition not downloaded within {timeout_s:.1f} s") from exc
        except aiohttp.ClientError as exc:
            raise MediaUnavailable(type(exc).__name__) from exc
        if len(data) > self._max_rendition_bytes:
            raise InvalidResponse(f"a rendition is larger than {self._max_rendition_bytes} bytes")
        return data

    async def fetch_all(self, transcoder: str, urls: list[str], timeout_s: float) -> list[bytes]:
        """Every rendition, downloaded together; the first failure fails them all."""
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self.fetch(transcoder, url, timeout_s)) for url in urls]
        return [task.result() for task in tasks]


def _transcoded(transcoder: str, data: bytes, profiles: int, round_trip_s: float) -> Transcoded:
    try:
        result = pb.TranscodeResult.FromString(data)
    except DecodeError as exc:
        raise InvalidResponse("the /segment answer is not a TranscodeResult") from exc
    info = result.info if result.HasField("info") else None
    which = result.WhichOneof("result")
    if which == "error":
        raise TranscodeFailed(result.error or "transcoding failed")
    if which != "data":
        raise TranscodeFailed("UnknownResponse")
    segments = list(result.data.segments)
    if len(segments) != profiles:
        raise InvalidResponse(f"{len(segments)} renditions for {profiles} profiles")
    return Transcoded(
        urls=[absolute_url(transcoder, s.url) for s in segments],
        pixels=[int(s.pixels) for s in segments],
        info=info,
        round_trip_s=round_trip_s,
    )
