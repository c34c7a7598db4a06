"""What the RTMP server hands to the rest of intake: the contract others code against."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Literal, Protocol

BAD_NAME: Final = "NetStream.Publish.BadName"
DENIED: Final = "NetStream.Publish.Denied"


@dataclass(frozen=True)
class FlvTag:
    """One FLV tag of the published stream.

    `data` is the tag body exactly as in an FLV file; for script tags, the AMF0 payload
    without `@setDataFrame`, i.e. starting with "onMetaData".
    """

    kind: Literal["audio", "video", "script"]
    timestamp_ms: int  # absolute message timestamp (32-bit, extended handled)
    data: bytes


@dataclass(frozen=True)
class PublishRequest:
    """A client asks to publish: what `Authorize` decides on."""

    app: str  # from `connect`, without any "?query"
    stream_key: str  # from `publish`, without any "?query"
    query: dict[str, str]  # the publish name's query (over the app's, if it had one)
    tc_url: str
    peer: str  # "ip:port"
    disconnect: Callable[[], None]  # closes this connection (used to end a stream from the API)


class Publisher(Protocol):
    async def on_tag(self, tag: FlvTag) -> None:
        """Awaited in order, one at a time; raising closes the connection."""

    async def on_close(self, error: str | None) -> None:
        """Exactly once, after the last tag, whatever the reason; None for a clean end."""


class RtmpRefused(Exception):
    """Raised by `Authorize`: `str(exc)` is the description sent to the client."""

    def __init__(self, description: str, code: str = DENIED) -> None:
        super().__init__(description)
        self.code = code if code in (BAD_NAME, DENIED) else DENIED


class StopPublishing(Exception):
    """Raised from `on_tag` to end the stream on purpose (bad media, the API ended it): the
    connection closes with `str(exc)` as its reason, logged without a traceback."""


Authorize = Callable[[PublishRequest], Awaitable[Publisher]]
