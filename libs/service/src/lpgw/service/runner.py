"""A service process: one uvloop event loop, a stop event set by SIGTERM/SIGINT, uvicorn inside.

uvloop (libuv, in C) and httptools (the HTTP parser of uvicorn's `standard` extra) make every
socket read, write and timer cheaper than the pure-Python defaults; the gateway's processes
spend most of their CPU on exactly that (docs/performance.md).

uvicorn's own signal handling is disabled: the process has one owner of signals (run_service)
and every component (HTTP server, bus consumers) stops from the same event, in the order the
service's main coroutine chooses.
"""

import asyncio
import contextlib
import signal
import socket
from collections.abc import Awaitable, Callable, Generator

import uvicorn
import uvloop
from lpgw.service.errors import HttpBindError, StartupError
from lpgw.service.logs import get_logger
from starlette.types import ASGIApp

log = get_logger(__name__)
EXIT_CRASHED = 1
EXIT_STARTUP_REFUSED = 2


def run_service(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop_event)` to completion.

    A StartupError exits with status 2 and its message; any other exception with status 1.
    """

    async def supervise() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(sig: signal.Signals) -> None:
            log.info("stop_requested", extra={"signal": sig.name})
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig)
        try:
            await main(stop)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(supervise())
    except StartupError as exc:
        log.error("startup_refused", extra={"reason": str(exc)})
        raise SystemExit(EXIT_STARTUP_REFUSED) from None
    except Exception:
        # Logged as one JSON record (with the traceback as a field) instead of bare stderr text.
        log.exception("service_crashed")
        raise SystemExit(EXIT_CRASHED) from None
    log.info("stopped")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        for listener in self.servers:
            for sock in listener.sockets:
                address = sock.getsockname()
                log.info("http_listening", extra={"host": address[0], "port": address[1]})


async def serve_http(app: ASGIApp, host: str, port: int, stop_event: asyncio.Event) -> None:
    """Serve `app` until `stop_event` is set, then finish in-flight requests and return."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="auto",
        loop="none",  # the running uvloop loop of run_service
        http="httptools",
        ws="none",
        timeout_graceful_shutdown=10,
    )
    server = _Server(config)

    async def serve() -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits the process when it cannot bind or start up
            raise HttpBindError(f"HTTP server cannot start on {host}:{port}") from None

    serving = asyncio.create_task(serve(), name="http-server")
    stopping = asyncio.create_task(stop_event.wait(), name="http-stop")
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopping.cancel()
    await serving
