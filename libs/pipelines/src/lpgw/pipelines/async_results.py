"""image-to-video's asynchronous mode (ai-api.md §3.3): a 202 with an id, then polling.

Not in the spec but served by the reference; quirk 18's recommendation is taken: the result
route answers GET with `?request_id=` as well as POST with a JSON body, and a failure carries
its real (sanitised) message instead of a blanket `Internal Server Error`.
"""

from dataclasses import dataclass
from typing import Literal

from lpgw.pipelines.responses import VideoResponse
from pydantic import BaseModel, ConfigDict, Field

PREFER_ASYNC = "respond-async"
"""The `Prefer` request header value that asks for the asynchronous mode."""


class AsyncAccepted(BaseModel):
    """The 202 body that answers a request made with `Prefer: respond-async`."""

    model_config = ConfigDict(frozen=True)

    request_id: str


class AsyncResultRequest(BaseModel):
    """The poll: JSON body of a POST, or the query of a GET."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    request_id: str = Field(min_length=1)


class ErrorMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    message: str


class AsyncFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    error: ErrorMessage


class AsyncStatus(BaseModel):
    """202 `{"status": "processing"}`, then 200 `{"status": "complete", "result": …}`."""

    model_config = ConfigDict(frozen=True)

    status: Literal["processing", "complete"]
    result: VideoResponse | AsyncFailure | None = None


@dataclass(frozen=True)
class AsyncResult:
    """Where and how a pipeline's asynchronous results are fetched."""

    path: str
    methods: tuple[str, ...] = ("GET", "POST")
    prefer: str = PREFER_ASYNC
    accepted: type[AsyncAccepted] = AsyncAccepted
    poll: type[AsyncResultRequest] = AsyncResultRequest
    status: type[AsyncStatus] = AsyncStatus
