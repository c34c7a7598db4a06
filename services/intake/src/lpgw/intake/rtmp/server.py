"""The RTMP listener: many publishers on one port, each on its own connection task."""

import asyncio
import contextlib
import logging

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

    async def start(self, host: str, port: int) -> int:
        """Listen; the bound port is returned (pass 0 for a free one)."""
        if self._server is not None:
            raise RuntimeError("the RTMP server is already started")
        self._server = await asyncio.start_server(self._serve, host, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        log.info("rtmp_listening", extra={"host": host, "port": bound})
        return bound

    async def close(self) -> None:
        """Stop listening and close every connection; each publisher gets `on_close`."""
        self._closing = True
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
