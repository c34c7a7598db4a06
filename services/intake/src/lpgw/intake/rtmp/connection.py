"""One client socket: handshake, then the session's events, until the end, whatever ends it.

The I/O edge of the package. Bytes are read only after every event of the previous read has
been handled, so a slow `on_tag` slows the reading (TCP pushes back on the client). Anything
going wrong ends this connection only, with one log record; the publisher, if one was
accepted, hears `on_close` exactly once, after its last tag.
"""

import asyncio
import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass

from lpgw.intake.rtmp import handshake
from lpgw.intake.rtmp.errors import RtmpError
from lpgw.intake.rtmp.publishing import (
    DENIED,
    Authorize,
    FlvTag,
    Publisher,
    PublishRequest,
    RtmpRefused,
    StopPublishing,
)
from lpgw.intake.rtmp.session import PublishAsked, Session, State, Unpublished

log = logging.getLogger("lpgw.intake.rtmp")

READ_SIZE = 64 * 1024
BATCH_S = 0.05
LINGER_S = 2.0
"""After an unpublish, how long we wait for the client's own close (it still sends
deleteStream) before closing ourselves."""


@dataclass(frozen=True)
class Limits:
    handshake_timeout_s: float
    idle_timeout_s: float
    max_message_bytes: int


def key_id(stream_key: str) -> str:
    """What logs show of a stream key: a short prefix of its SHA-256, never the key."""
    return hashlib.sha256(stream_key.encode()).hexdigest()[:12]


class _Ended(Exception):
    """Leave the connection: `error` goes to `on_close`, `reason` to the log."""

    def __init__(self, reason: str, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


class _PublisherFailed(Exception):
    """`on_tag` raised."""


class Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        authorize: Authorize,
        limits: Limits,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._authorize = authorize
        self._limits = limits
        self._session = Session(max_message_bytes=limits.max_message_bytes)
        self._publisher: Publisher | None = None
        self._stop_reason: str | None = None
        self._stopping = False
        self._key_id = ""
        self._tags = 0
        self._idle = False
        self.last_read = time.monotonic()
        self.peer = _peer_of(writer)

    def expire_if_idle(self, now: float) -> None:
        """Called by the server's watchdog: close a connection that sent nothing for the idle
        timeout. One watchdog for every connection costs less than a timer around each read
        (a publisher's read is a few hundred bytes, dozens of times a second)."""
        if not self._idle and now - self.last_read > self._limits.idle_timeout_s:
            self._idle = True
            self._writer.close()

    def disconnect(self, reason: str | None = None) -> None:
        """End this connection from outside (the API, server shutdown): no tag is handed on
        after the one in hand, if any; then `on_close(reason)`."""
        if not self._stopping:
            self._stopping = True
            self._stop_reason = reason
            self._writer.close()

    async def run(self) -> None:
        started = time.monotonic()
        error: str | None = "cancelled"
        reason = "cancelled"
        try:
            error, reason = await self._outcome()
        finally:
            self._writer.close()
            await self._close_publisher(error)
            log.log(
                logging.INFO if error is None else logging.WARNING,
                "rtmp_connection_closed",
                extra=self._fields(
                    reason=reason,
                    tags=self._tags,
                    seconds=round(time.monotonic() - started, 3),
                ),
            )

    async def _outcome(self) -> tuple[str | None, str]:
        """Run the connection to its end: the error for `on_close` and the reason to log."""
        try:
            try:
                async with asyncio.timeout(self._limits.handshake_timeout_s):
                    await self._handshake()
            except TimeoutError:
                raise _Ended("handshake timeout", "handshake timeout") from None
            except asyncio.IncompleteReadError:
                raise _Ended("closed during the handshake", "closed") from None
            await self._serve()
        except _Ended as end:
            outcome: tuple[str | None, str] = (end.error, end.reason)
        except RtmpError as exc:
            await self._flush_quietly()  # an error status the session queued, if any
            outcome = (f"protocol error: {exc}", f"{type(exc).__name__}: {exc}")
        except (ConnectionError, OSError) as exc:
            outcome = (f"connection error: {type(exc).__name__}", type(exc).__name__)
        except _PublisherFailed as failure:
            log.error("rtmp_publisher_failed", exc_info=failure.__cause__, extra=self._fields())
            outcome = (str(failure), "publisher failed")
        if self._stopping:
            return self._stop_reason, "disconnected"
        return outcome

    async def _handshake(self) -> None:
        reader, writer = self._reader, self._writer
        handshake.check_c0(await reader.readexactly(1))
        c1 = await reader.readexactly(handshake.PACKET_SIZE)
        writer.write(handshake.answer(c1, uptime_ms=int(time.monotonic() * 1000)))
        await writer.drain()
        handshake.check_c2(await reader.readexactly(handshake.PACKET_SIZE))

    async def _serve(self) -> None:
        """Read, hand on the session's events, answer; again, until something ends it.

        A publisher writes every audio and video packet as soon as it has it, a few hundred
        bytes dozens of times a second; reading each as it comes costs a wake-up per packet.
        While media flows, a short read is followed by a pause of `BATCH_S`, so each read takes
        several packets at once (measured: a third of intake's CPU under 50 streams was the
        event loop waking per packet). The pause delays a segment's cut by at most that much.
        """
        while True:
            data = await self._read()
            if len(data) < READ_SIZE and self._publisher is not None:
                await asyncio.sleep(BATCH_S)
            for event in self._session.feed(data):
                await self._flush()
                if isinstance(event, FlvTag):
                    await self._deliver(event)
                elif isinstance(event, PublishAsked):
                    if not await self._ask(event):
                        raise _Ended("publish refused")
                elif isinstance(event, Unpublished):
                    await self._close_publisher(None)
                if self._stopping:
                    raise _Ended("disconnected")
            await self._flush()

    async def _read(self) -> bytes:
        """The next bytes. After an unpublish the client gets a short while to close by
        itself (it still sends deleteStream); otherwise it gets the idle timeout."""
        ended = self._session.state is State.ENDED
        try:
            if ended:
                async with asyncio.timeout(LINGER_S):
                    data = await self._reader.read(READ_SIZE)
            else:
                data = await self._reader.read(READ_SIZE)
        except TimeoutError:
            raise _Ended("unpublished") from None
        except (ConnectionError, OSError):
            if not self._idle:
                raise
            data = b""
        if self._idle:
            raise _Ended("idle timeout", "idle timeout")
        self.last_read = time.monotonic()
        if data:
            return data
        if ended:
            raise _Ended("unpublished")
        if self._publisher is not None:
            raise _Ended("closed by the client mid-stream", "closed by the client mid-stream")
        raise _Ended("closed by the client")

    async def _deliver(self, tag: FlvTag) -> None:
        if self._publisher is None:
            return
        try:
            await self._publisher.on_tag(tag)
        except StopPublishing as stop:
            raise _Ended(f"stopped: {stop}", str(stop)) from None
        except Exception as exc:  # the end of this stream, not of the server
            raise _PublisherFailed(f"publisher failed: {type(exc).__name__}") from exc
        self._tags += 1

    async def _ask(self, event: PublishAsked) -> bool:
        """Ask the authorize callback; answer the client. False when refused."""
        self._key_id = key_id(event.stream_key)
        request = PublishRequest(
            app=event.app,
            stream_key=event.stream_key,
            query=event.query,
            tc_url=event.tc_url,
            peer=self.peer,
            disconnect=self.disconnect,
        )
        try:
            self._publisher = await self._authorize(request)
        except RtmpRefused as refusal:
            self._session.refuse(refusal.code, str(refusal))
            log.info("rtmp_publish_refused", extra=self._fields(code=refusal.code))
        except Exception:
            self._session.refuse(DENIED, "Publishing is not possible now.")
            log.exception("rtmp_authorize_failed", extra=self._fields())
        else:
            self._session.accept()
            log.info("rtmp_publish_started", extra=self._fields(app=event.app))
        await self._flush()
        return self._publisher is not None

    async def _close_publisher(self, error: str | None) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is None:
            return
        try:
            await publisher.on_close(error)
        except Exception:
            log.exception("rtmp_publisher_close_failed", extra=self._fields())

    async def _flush(self) -> None:
        data = self._session.outgoing()
        if data and not self._writer.is_closing():
            self._writer.write(data)
            async with asyncio.timeout(self._limits.idle_timeout_s):
                await self._writer.drain()

    async def _flush_quietly(self) -> None:
        """Send what the session queued before an error (an error status), if the socket lets
        us; the connection closes either way."""
        with contextlib.suppress(ConnectionError, OSError):
            await self._flush()

    def _fields(self, **more: object) -> dict[str, object]:
        fields: dict[str, object] = {"peer": self.peer}
        if self._key_id:
            fields["key_id"] = self._key_id
        return fields | more


def _peer_of(writer: asyncio.StreamWriter) -> str:
    address = writer.get_extra_info("peername")
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)
