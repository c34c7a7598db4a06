"""The devnet's HTTP/1.1 client towards worker containers.

One connection per job, closed with it, and the response body handed over as it arrives, so an
event stream is relayed line by line and a job the gateway abandons stops at once. h11 frames
the messages (hypercorn, the devnet's server, is built on it); timeouts are the caller's.
"""

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h11

READ_BYTES = 65536


class WorkerConnectionError(Exception):
    """The worker could not be reached, or broke the connection or the protocol."""


@dataclass
class WorkerResponse:
    status: int
    headers: dict[str, str]
    """Lowercase names; repeated headers keep the last value."""
    _connection: "_Connection" = field(repr=False)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; WorkerConnectionError if it breaks off."""
        while True:
            event = await self._connection.next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def close(self) -> None:
        await self._connection.close()


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._h11 = h11.Connection(h11.CLIENT)

    async def send(self, *events: h11.Event) -> None:
        try:
            for event in events:
                data = self._h11.send(event)
                if data:
                    self._writer.write(data)
            await self._writer.drain()
        except OSError as exc:
            raise WorkerConnectionError(str(exc) or type(exc).__name__) from exc

    async def next_event(self) -> h11.Event | type[h11.PAUSED]:
        try:
            while True:
                event = self._h11.next_event()
                if event is h11.NEED_DATA:
                    self._h11.receive_data(await self._reader.read(READ_BYTES))
                elif event is h11.PAUSED or isinstance(event, h11.Event):
                    return event
        except (OSError, h11.RemoteProtocolError) as exc:
            raise WorkerConnectionError(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):  # already broken: nothing left to release
            await self._writer.wait_closed()


async def post(url: str, body: bytes, headers: Sequence[tuple[str, str]]) -> WorkerResponse:
    """POST `body` to `url` with `headers` (framing and Host are added); the response once its
    head arrived. Raises WorkerConnectionError; cancel it to give up."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    try:
        reader, writer = await asyncio.open_connection(
            host,
            parts.port or (443 if secure else 80),
            ssl=ssl.create_default_context() if secure else None,
        )
    except OSError as exc:
        raise WorkerConnectionError(str(exc) or type(exc).__name__) from exc
    connection = _Connection(reader, writer)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = h11.Request(
            method="POST",
            target=target,
            headers=[
                ("Host", parts.netloc),
                *headers,
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ],
        )
        await connection.send(request, h11.Data(data=body), h11.EndOfMessage())
        while True:
            event = await connection.next_event()
            if isinstance(event, h11.Response):
                return WorkerResponse(
                    status=event.status_code,
                    headers={
                        name.decode("latin-1").lower(): value.decode("latin-1")
                        for name, value in event.headers
                    },
                    _connection=connection,
                )
            if not isinstance(event, h11.InformationalResponse):
                raise WorkerConnectionError("the worker closed the connection without answering")
    except BaseException:
        await connection.close()
        raise
