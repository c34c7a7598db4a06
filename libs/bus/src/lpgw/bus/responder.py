"""The serving side of request/reply: parse, run the handler in the caller's trace, answer.

A request that cannot be parsed, or whose handler fails, is answered with an `Lpgw-Error`
header (no payload), so the requester fails fast with RemoteError instead of timing out.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import nats.errors
from lpgw.bus.codec import ERROR_HEADER, decode, encode
from lpgw.bus.errors import InvalidMessage
from lpgw.bus.events import Event
from lpgw.bus.tracing import attached
from nats.aio.client import Client
from nats.aio.msg import Msg

logger = logging.getLogger("lpgw.bus")

Q = TypeVar("Q", bound=Event)


class Responder(Generic[Q]):
    """Answers each request in its own task so a slow one does not hold up the others."""

    def __init__(
        self, nc: Client, model: type[Q], handler: Callable[[Q], Awaitable[Event]]
    ) -> None:
        self._nc = nc
        self._model = model
        self._handler = handler
        self._tasks: set[asyncio.Task[None]] = set()

    async def on_message(self, msg: Msg) -> None:
        task = asyncio.create_task(self._answer(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self, grace_s: float) -> None:
        """Let requests being answered finish (bounded); cancel the rest."""
        if not self._tasks:
            return
        _, unfinished = await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _answer(self, msg: Msg) -> None:
        try:
            request = decode(self._model, msg.data, msg.headers)
        except InvalidMessage as exc:
            logger.warning("request_rejected", extra={"subject": msg.subject, "reason": str(exc)})
            await self._reply(msg, b"", {ERROR_HEADER: "invalid_request"})
            return
        with attached(msg.headers):
            try:
                reply = await self._handler(request)
            except Exception as exc:
                logger.warning(
                    "request_handler_failed",
                    extra={"subject": msg.subject, "error": type(exc).__name__},
                    exc_info=exc,
                )
                await self._reply(msg, b"", {ERROR_HEADER: "handler_failed"})
                return
            payload, headers = encode(reply)
        await self._reply(msg, payload, headers)

    async def _reply(self, msg: Msg, payload: bytes, headers: dict[str, str]) -> None:
        if not msg.reply:
            return
        try:
            await self._nc.publish(msg.reply, payload, headers=headers)
        except nats.errors.Error as exc:
            logger.warning(
                "reply_failed", extra={"subject": msg.subject, "error": type(exc).__name__}
            )
