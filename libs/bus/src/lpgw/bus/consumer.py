"""A durable pull consumer: fetch in the background, run handlers concurrently, settle each message.

Handler returns -> ack; handler raises -> nak with a short delay; payload invalid -> logged and
terminated (never redelivered). Work cut short by `stop()` is left unacknowledged, so JetStream
redelivers it after `ack_wait`, possibly to another instance.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Generic, TypeVar

import nats.errors
from lpgw.bus.codec import JOB_ID_HEADER, decode
from lpgw.bus.errors import InvalidMessage
from lpgw.bus.events import Event
from lpgw.bus.tracing import attached
from lpgw.bus.translate import translated
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig

logger = logging.getLogger("lpgw.bus")

E = TypeVar("E", bound=Event)

NAK_DELAY_S = 1.0
FETCH_TIMEOUT_S = 2.0
MAX_BACKOFF_S = 5.0
STOP_TIMEOUT_S = 10.0


def backoff_s(failures: int) -> float:
    """Pause before the next fetch after `failures` consecutive errors."""
    return float(min(0.1 * 2 ** min(failures, 10), MAX_BACKOFF_S))


class Received:
    """One message as a handler received it: which delivery of it this is, and ways to talk to
    JetStream about it (named apart from the delivery service)."""

    def __init__(self, msg: Msg) -> None:
        self._msg = msg
        self.settled = False

    @property
    def attempt(self) -> int:
        """1 on the first delivery, 2 on the first redelivery, and so on."""
        return int(self._msg.metadata.num_delivered)

    @property
    def headers(self) -> Mapping[str, str]:
        return self._msg.headers or {}

    @property
    def subject(self) -> str:
        return self._msg.subject

    async def in_progress(self) -> None:
        """Restart the ack_wait clock: call it while long work is still going."""
        with translated(self._msg.subject):
            await self._msg.in_progress()

    async def term(self) -> None:
        """Give up on this message for good: JetStream will not redeliver it."""
        with translated(self._msg.subject):
            await self._msg.term()
        self.settled = True


Handler = Callable[[E, Received], Awaitable[None]]


class Consumer(Generic[E]):
    """Runs `handler` for each message of a durable pull consumer, `concurrency` at a time."""

    def __init__(
        self,
        js: JetStreamContext,
        stream: str,
        config: ConsumerConfig,
        model: type[E],
        handler: Handler[E],
        concurrency: int,
        prepare: Callable[[], Awaitable[None]],
        fetch_timeout: float = FETCH_TIMEOUT_S,
    ) -> None:
        self._js = js
        self._stream = stream
        self._config = config
        self._durable = config.durable_name or ""
        self._model = model
        self._handler = handler
        self._concurrency = max(1, concurrency)
        self._prepare = prepare
        self._fetch_timeout = fetch_timeout
        self._sub: JetStreamContext.PullSubscription | None = None
        self._loop: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    @property
    def durable(self) -> str:
        return self._durable

    @property
    def stream(self) -> str:
        return self._stream

    async def start(self) -> None:
        """Create or update the consumer, then start fetching in the background."""
        with translated(f"{self._stream}/{self._durable}"):
            await self._bind()
        self._loop = asyncio.create_task(self._fetch_loop(), name=f"lpgw-bus-{self._durable}")

    async def stop(self, grace_s: float = STOP_TIMEOUT_S) -> None:
        """Stop fetching and give in-flight handlers `grace_s` seconds; unfinished work stays
        unacknowledged and is redelivered after ack_wait."""
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        if self._inflight:
            _, unfinished = await asyncio.wait(set(self._inflight), timeout=grace_s)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
            if unfinished:
                logger.warning(
                    "consumer_stopped_with_unfinished_work",
                    extra={"consumer": self._durable, "unfinished": len(unfinished)},
                )
        await self._unbind()

    async def _bind(self) -> JetStreamContext.PullSubscription:
        await self._js.add_consumer(self._stream, config=self._config)
        self._sub = await self._js.pull_subscribe_bind(durable=self._durable, stream=self._stream)
        return self._sub

    async def _unbind(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            try:
                await sub.unsubscribe()
            except nats.errors.Error as exc:
                logger.debug("consumer_unsubscribe_failed", extra={"error": type(exc).__name__})

    async def _rebind(self) -> JetStreamContext.PullSubscription:
        """After an error: make sure the streams and the consumer exist, then subscribe anew."""
        await self._unbind()
        await self._prepare()
        return await self._bind()

    async def _fetch_loop(self) -> None:
        failures = 0
        while True:
            if len(self._inflight) >= self._concurrency:
                await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                sub = self._sub if self._sub is not None else await self._rebind()
                free = self._concurrency - len(self._inflight)
                msgs = await sub.fetch(batch=free, timeout=self._fetch_timeout)
            except TimeoutError:
                continue
            except nats.errors.ConnectionClosedError:
                logger.info("consumer_connection_closed", extra={"consumer": self._durable})
                return
            except (nats.errors.Error, OSError) as exc:
                failures += 1
                logger.warning(
                    "consumer_fetch_failed",
                    extra={
                        "consumer": self._durable,
                        "error": type(exc).__name__,
                        "failures": failures,
                    },
                )
                await self._unbind()
                await asyncio.sleep(backoff_s(failures))
                continue
            failures = 0
            for msg in msgs:
                task = asyncio.create_task(self._handle(msg))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    async def _handle(self, msg: Msg) -> None:
        received = Received(msg)
        fields = {
            "consumer": self._durable,
            "subject": msg.subject,
            "job_id": received.headers.get(JOB_ID_HEADER),
            "attempt": received.attempt,
        }
        try:
            event = decode(self._model, msg.data, msg.headers)
        except InvalidMessage as exc:
            logger.warning("message_rejected", extra={**fields, "reason": str(exc)})
            await self._settle(msg.term(), fields)
            return
        with attached(msg.headers):
            try:
                await self._handler(event, received)
            except Exception as exc:
                logger.warning(
                    "handler_failed", extra={**fields, "error": type(exc).__name__}, exc_info=exc
                )
                if not received.settled:
                    await self._settle(msg.nak(delay=NAK_DELAY_S), fields)
                return
        if not received.settled:
            await self._settle(msg.ack(), fields)

    async def _settle(self, action: Coroutine[Any, Any, None], fields: dict[str, Any]) -> None:
        """Ack, nak or term; a failure only delays redelivery, so it is logged, not raised."""
        try:
            await action
        except nats.errors.Error as exc:
            logger.warning("settle_failed", extra={**fields, "error": type(exc).__name__})
