"""The RTMP listener: many publishers on one port, each on its own connection task."""

import asyncio
import contextlib
import logging
import time

from lpgw.intake.rtmp.connection import Connection, Limits
from lpgw.intake.rtmp.publishing import Authorize

log = logging.getLogger("lpgw.intake.rtmp")

CLOSE_GRACE_S = 5.0
"""On `close`, how long connections get to finish the tag in hand before being cancelled."""


class RtmpServer:
    def __init__(
        self,
        authorize: Authorize,
        *,
        handshake_timeout_s: float = 10,
        idle_timeout_s: float = 30,
        max_message_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self._authorize = authorize
        self._limits = Limits(handshake_timeout_s, idle_timeout_s, max_message_bytes)
        self._server: asyncio.Server | None = None
        self._live: dict[Connection, asyncio.Task[None]] = {}
        self._closing = False
        self._watchdog: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen; the bound port is returned (pass 0 for a free one)."""
        if self._server is not None:
            raise RuntimeError("the RTMP server is already started")
        self._server = await asyncio.start_server(self._serve, host, port)
        self._watchdog = asyncio.create_task(self._watch(), name="lpgw-rtmp-watchdog")
        bound: int = self._server.sockets[0].getsockname()[1]
        log.info("rtmp_listening", extra={"host": host, "port": bound})
        return bound

    async def close(self) -> None:
        """Stop listening and close every connection; each publisher gets `on_close`."""
        self._closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for connection in list(self._live):
            connection.disconnect("server closing")
        tasks = list(self._live.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=CLOSE_GRACE_S)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if server is not None:
            await server.wait_closed()

    async def _watch(self) -> None:
        """Close connections idle past the idle timeout (checked a few times per timeout)."""
        every = min(1.0, self._limits.idle_timeout_s / 4)
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            for connection in list(self._live):
                connection.expire_if_idle(now)

    @property
    def connections(self) -> int:
        """Open client connections, publishing or not yet."""
        return len(self._live)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is None or self._closing:  # accepted just as we were closing
            writer.close()
            return
        connection = Connection(reader, writer, self._authorize, self._limits)
        self._live[connection] = task
        try:
            await connection.run()
        finally:
            del self._live[connection]
