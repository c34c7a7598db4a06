"""`Bus`: one NATS connection per process, with JetStream publish/consume, request/reply, and
waiting for one event. Trace context and the job id travel in headers on every message."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats
import nats.errors
from lpgw.bus.codec import ERROR_HEADER, decode, encode
from lpgw.bus.consumer import Consumer, Handler
from lpgw.bus.errors import BusTimeout, InvalidMessage, RemoteError
from lpgw.bus.events import Event
from lpgw.bus.responder import Responder
from lpgw.bus.streams import declare_streams
from lpgw.bus.subjects import Names
from lpgw.bus.translate import TRANSIENT, to_bus_error, translated
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, PubAck
from nats.js.errors import NotFoundError

logger = logging.getLogger("lpgw.bus")

E = TypeVar("E", bound=Event)
R = TypeVar("R", bound=Event)

RECONNECT_TIME_WAIT_S = 1
CONNECT_TIMEOUT_S = 60.0
PUBLISH_TIMEOUT_S = 5.0
PUBLISH_ATTEMPTS = 5


class Bus:
    """The process's NATS connection. Reconnects forever; consumers and subscriptions survive."""

    def __init__(
        self, nc: Client, names: Names, reconnected: list[Callable[[], None]] | None = None
    ) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.names = names
        self._consumers: list[Consumer[Any]] = []
        self._responders: list[Responder[Any]] = []
        self._reconnected = reconnected if reconnected is not None else []

    @classmethod
    async def connect(
        cls,
        url: str,
        names: Names,
        client_name: str = "lpgw",
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> "Bus":
        """Connect, retrying for up to `connect_timeout` seconds; once connected, reconnection
        never stops."""

        async def on_error(exc: Exception) -> None:
            logger.warning("nats_error", extra={"error": type(exc).__name__, "detail": str(exc)})

        async def on_disconnected() -> None:
            logger.warning("nats_disconnected", extra={"client": client_name})

        reconnected: list[Callable[[], None]] = []

        async def on_reconnected() -> None:
            logger.info("nats_reconnected", extra={"client": client_name})
            for listener in reconnected:
                listener()

        async def on_closed() -> None:
            logger.info("nats_closed", extra={"client": client_name})

        nc = Client()
        try:
            async with asyncio.timeout(connect_timeout):
                await nc.connect(
                    url,
                    name=client_name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=RECONNECT_TIME_WAIT_S,
                    error_cb=on_error,
                    disconnected_cb=on_disconnected,
                    reconnected_cb=on_reconnected,
                    closed_cb=on_closed,
                )
        except TimeoutError as exc:
            await nc.close()
            raise BusTimeout(f"could not connect to NATS within {connect_timeout:g}s") from exc
        logger.info("nats_connected", extra={"client": client_name})
        return cls(nc, names, reconnected)

    def on_reconnect(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every reconnection: messages published while the connection
        was down never reached this process's subscriptions."""
        self._reconnected.append(listener)

    @property
    def is_connected(self) -> bool:
        """For readiness checks."""
        return bool(self.nc.is_connected)

    async def declare(self) -> None:
        """Create or update this prefix's streams (JOBS, RESULTS, OUTCOMES). Idempotent."""
        with translated("$JS.API.STREAM"):
            await declare_streams(self.js, self.names)

    async def publish(
        self,
        subject: str,
        event: Event,
        msg_id: str | None = None,
        ack_timeout: float = PUBLISH_TIMEOUT_S,
        attempts: int = PUBLISH_ATTEMPTS,
    ) -> PubAck:
        """Store `event` in its stream. Retries (bounded) while NATS reconnects or JetStream
        recovers; give `msg_id` to make retries and re-publishes deduplicate.

        Returns JetStream's acknowledgement: `duplicate` is true when the stream already held
        a message with this `msg_id` (within its duplicate window) and did not store this one."""
        payload, headers = encode(event, msg_id)
        for attempt in range(1, attempts + 1):
            try:
                return await self.js.publish(subject, payload, timeout=ack_timeout, headers=headers)
            except TRANSIENT as exc:
                if attempt == attempts:
                    raise to_bus_error(exc, subject) from exc
                logger.info(
                    "publish_retry",
                    extra={"subject": subject, "attempt": attempt, "error": type(exc).__name__},
                )
                await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), 2.0))
            except nats.errors.Error as exc:
                raise to_bus_error(exc, subject) from exc
        raise ValueError(f"publish needs at least one attempt, got {attempts}")

    async def consume(
        self,
        stream: str,
        durable: str,
        filter_subject: str,
        model: type[E],
        handler: Handler[E],
        ack_wait: float = 30.0,
        max_deliver: int = 5,
        concurrency: int = 8,
        max_ack_pending: int | None = None,
    ) -> Consumer[E]:
        """Start a durable pull consumer (created, or updated to this config) in the background.

        `max_ack_pending=1` with `concurrency=1` keeps strict order even across a consumer that
        dies mid-message: nothing later is delivered until that message is acknowledged or its
        `ack_wait` runs out and it is delivered again."""
        config = ConsumerConfig(
            name=durable,
            durable_name=durable,
            filter_subject=filter_subject,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ack_wait,
            max_deliver=max_deliver,
            max_ack_pending=max_ack_pending or max(concurrency * 4, 64),
        )
        consumer = Consumer(
            self.js, stream, config, model, handler, concurrency, prepare=self.declare
        )
        await consumer.start()
        self._consumers.append(consumer)
        return consumer

    async def request(
        self,
        subject: str,
        event: Event,
        reply_model: type[R],
        timeout: float = 2.0,  # noqa: ASYNC109 - the wait is the request's own, passed to NATS
    ) -> R:
        """Core NATS request/reply. Raises BusTimeout, NoResponders, RemoteError, InvalidMessage."""
        payload, headers = encode(event)
        with translated(subject):
            reply = await self.nc.request(subject, payload, timeout=timeout, headers=headers)
        reply_headers = reply.headers or {}
        if ERROR_HEADER in reply_headers:
            raise RemoteError(f"{subject}: {reply_headers[ERROR_HEADER]}")
        return decode(reply_model, reply.data, reply_headers)

    async def serve(
        self,
        subject: str,
        queue: str,
        request_model: type[R],
        handler: Callable[[R], Awaitable[Event]],
    ) -> Subscription:
        """Answer requests on `subject` in queue group `queue`, each in its own task."""
        responder = Responder(self.nc, request_model, handler)
        with translated(subject):
            sub = await self.nc.subscribe(subject, queue=queue, cb=responder.on_message)
        self._responders.append(responder)
        return sub

    async def wait_for(
        self,
        subject: str,
        model: type[E],
        timeout: float,  # noqa: ASYNC109 - one deadline covers subscribe, lookup and wait
        stream: str,
    ) -> E:
        """The first `model` event on `subject`, including one already stored in `stream`.

        Subscribes before looking in the stream, so an event published in between is not missed.
        """
        with translated(subject):
            sub = await self.nc.subscribe(subject)
            try:
                async with asyncio.timeout(timeout):
                    await self.nc.flush()
                    stored = await self.last_stored(stream, subject, model)
                    if stored is not None:
                        return stored
                    while True:
                        event = _parsed(model, await sub.next_msg(timeout=None))
                        if event is not None:
                            return event
            finally:
                await unsubscribe_quietly(sub)

    async def last_stored(self, stream: str, subject: str, model: type[E]) -> E | None:
        """The last `model` event stored on `subject` in `stream` (a direct get), if any."""
        with translated(subject):
            try:
                raw = await self.js.get_last_msg(stream, subject, direct=True)
            except NotFoundError:
                return None
        try:
            return decode(model, raw.data or b"", raw.headers)
        except InvalidMessage as exc:
            logger.warning("message_rejected", extra={"subject": subject, "reason": str(exc)})
            return None

    async def stop_consumer(self, consumer: Consumer[Any], grace_s: float, delete: bool) -> None:
        """Stop one consumer started by `consume` before the bus closes; `delete` also removes
        it from JetStream (its stream's input is finished)."""
        await consumer.stop(grace_s)
        if consumer in self._consumers:
            self._consumers.remove(consumer)
        if delete:
            with translated(consumer.durable), contextlib.suppress(NotFoundError):
                await self.js.delete_consumer(consumer.stream, consumer.durable)

    async def close(self, grace_s: float = 10.0) -> None:
        """Stop consumers and responders (bounded), then drain the connection."""
        for consumer in self._consumers:
            await consumer.stop(grace_s)
        for responder in self._responders:
            await responder.wait(grace_s)
        if self.nc.is_closed:
            return
        try:
            await self.nc.drain()
        except (nats.errors.Error, TimeoutError) as exc:
            logger.warning("nats_drain_failed", extra={"error": type(exc).__name__})
            await self.nc.close()


def _parsed(model: type[E], msg: Msg) -> E | None:
    try:
        return decode(model, msg.data, msg.headers)
    except InvalidMessage as exc:
        logger.warning("message_rejected", extra={"subject": msg.subject, "reason": str(exc)})
        return None


async def unsubscribe_quietly(sub: Subscription) -> None:
    """Unsubscribe; a failure only means the connection is closing, so it is logged."""
    try:
        await sub.unsubscribe()
    except nats.errors.Error as exc:
        logger.debug("unsubscribe_failed", extra={"error": type(exc).__name__})
