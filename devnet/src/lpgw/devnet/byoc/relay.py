"""An admitted BYOC job forwarded to its worker and the worker's answer relayed (wire.md §7.6).

`POST {capability url}/{route}` with the body, its `Content-Type` and, when the capability
registered one, `Authorization: Bearer <token>`; `timeout_seconds` to the worker's answer.
A connection failure or a worker 401 unregisters the capability and answers 500; a timeout
answers 500; a worker status above 399 is passed on with its body; otherwise 200 with the
worker's body, `Content-Type`, `X-Metadata` and `Livepeer-Balance`. A batch job is charged
ceil(elapsed seconds) × price, whatever the outcome.

An event stream (`text/event-stream`) is relayed line by line with `Livepeer-Payment-Balance`;
every debit interval 5 s of price are debited and the stream ends with `event: insufficient
balance` once the balance is negative; a `data: {"balance": …}` line goes before the worker's
`[DONE]`; after `timeout_seconds` the devnet ends it itself with those two lines.

The job holds its capacity slot until the answer is complete or the gateway goes away; then the
worker connection is closed, charging stops and the slot is free again.
"""

import asyncio
import logging
import time

from lpgw.devnet.byoc.admission import AdmittedJob
from lpgw.devnet.byoc.billing import STREAM_DEBIT_SECONDS
from lpgw.devnet.byoc.errors import WorkerFailed
from lpgw.devnet.byoc.registry import CapabilityRegistry
from lpgw.devnet.byoc.worker_client import WorkerConnectionError, WorkerResponse, post
from lpgw.wire.byoc import INSUFFICIENT_BALANCE_EVENT, SSE_DONE_LINE
from lpgw.wire.headers import BALANCE_HEADER, METADATA_HEADER, PAYMENT_BALANCE_HEADER
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
TEXT = "text/plain; charset=utf-8"
DEADLINE_EXCEEDED = "context deadline exceeded"  # Go's text, which the reference reports
DONE = b"[DONE]"


class JobRelay(Response):
    def __init__(
        self,
        admitted: AdmittedJob,
        registry: CapabilityRegistry,
        *,
        route: str,
        body: bytes,
        content_type: str,
        debit_interval_s: float,
    ) -> None:
        super().__init__(status_code=200)
        self._job = admitted
        self._registry = registry
        self._route = route
        self._body = body
        self._content_type = content_type
        self._debit_interval_s = debit_interval_s
        self._streaming = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        work = asyncio.create_task(self._work(send))
        gone = asyncio.create_task(_disconnected(receive))
        try:
            await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            abandoned = not work.done()
            work.cancel()
            gone.cancel()
            outcome = (await asyncio.gather(work, gone, return_exceptions=True))[0]
            self._job.slot.release()
        if abandoned:
            log.info("byoc_job_abandoned", extra={"job": self._job.job.id})
        elif isinstance(outcome, BaseException):
            raise outcome

    # --- the worker call -----------------------------------------------------------------

    def _request(self) -> tuple[str, list[tuple[str, str]]]:
        registration = self._job.registration
        url = registration.url + (f"/{self._route}" if self._route else "")
        headers = [("Content-Type", self._content_type)] if self._content_type else []
        if registration.token:
            headers.append(("Authorization", f"Bearer {registration.token}"))
        return url, headers

    async def _work(self, send: Send) -> None:
        start = time.monotonic()
        deadline = start + self._job.job.timeout_seconds
        try:
            await self._exchange(send, start, deadline)
        except asyncio.CancelledError:
            if not self._streaming:  # the gateway left a batch job: it still pays for it
                await self._job.account.charge_elapsed(time.monotonic() - start)
            raise

    async def _exchange(self, send: Send, start: float, deadline: float) -> None:
        url, headers = self._request()
        name = self._job.registration.name
        try:
            response = await asyncio.wait_for(post(url, self._body, headers), _left(deadline))
        except TimeoutError:
            await self._fail(send, start, str(WorkerFailed(DEADLINE_EXCEEDED)))
            return
        except WorkerConnectionError as exc:
            self._registry.unregister(name)
            log.warning("byoc_capability_removed", extra={"capability": name, "error": str(exc)})
            await self._fail(send, start, str(WorkerFailed(str(exc))))
            return
        try:
            if response.status == 401:
                self._registry.unregister(name)
                log.warning("byoc_capability_removed", extra={"capability": name, "error": 401})
                await self._fail(send, start, str(WorkerFailed("worker answered 401 Unauthorized")))
            elif EVENT_STREAM in response.header("content-type"):
                self._streaming = True
                await self._stream(response, send)
            else:
                await self._answer(response, send, start, deadline)
        finally:
            await response.close()

    async def _answer(
        self, response: WorkerResponse, send: Send, start: float, deadline: float
    ) -> None:
        try:
            data = await asyncio.wait_for(response.read(), _left(deadline))
        except TimeoutError:
            await self._fail(send, start, DEADLINE_EXCEEDED)
            return
        except WorkerConnectionError as exc:
            await self._fail(send, start, str(exc))
            return
        await self._job.account.charge_elapsed(time.monotonic() - start)
        headers = self._metadata(response)
        headers.append((BALANCE_HEADER, self._job.account.balance_header()))
        if response.status > 399:
            await _respond(send, response.status, TEXT, data + b"\n", headers)
            return
        await _respond(send, 200, response.header("content-type"), data, headers)

    async def _fail(self, send: Send, start: float, text: str) -> None:
        """A 500 with `text`, after charging the time spent."""
        await self._job.account.charge_elapsed(time.monotonic() - start)
        headers = [(BALANCE_HEADER, self._job.account.balance_header())]
        await _respond(send, 500, TEXT, f"{text}\n".encode(), headers)

    @staticmethod
    def _metadata(response: WorkerResponse) -> list[tuple[str, str]]:
        metadata = response.header(METADATA_HEADER)
        return [(METADATA_HEADER, metadata)] if metadata else []

    # --- event streams -------------------------------------------------------------------

    async def _stream(self, response: WorkerResponse, send: Send) -> None:
        account = self._job.account
        headers = [
            ("Cache-Control", "no-cache"),
            *self._metadata(response),
            (PAYMENT_BALANCE_HEADER, account.balance_header()),
        ]
        await _start(send, 200, EVENT_STREAM, headers)
        lines: asyncio.Queue[bytes | None] = asyncio.Queue()
        reader = asyncio.create_task(_read_lines(response, lines))
        now = time.monotonic()
        deadline = now + self._job.job.timeout_seconds
        next_debit = now + self._debit_interval_s
        try:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    await _write(send, f"{account.balance_line()}\n\n{SSE_DONE_LINE}\n\n")
                    break
                if now >= next_debit:
                    next_debit += self._debit_interval_s
                    if account.charged and await account.debit_seconds(STREAM_DEBIT_SECONDS) < 0:
                        await _write(
                            send,
                            f'{INSUFFICIENT_BALANCE_EVENT}\ndata: {{"balance": 0}}\n\n'
                            f"{SSE_DONE_LINE}\n\n",
                        )
                        break
                    continue
                try:
                    line = await asyncio.wait_for(lines.get(), min(next_debit, deadline) - now)
                except TimeoutError:
                    continue
                if line is None:
                    break
                if DONE in line:
                    await _write(send, f"{account.balance_line()}\n\n")
                await _write(send, line + b"\n")
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)


async def _read_lines(response: WorkerResponse, lines: asyncio.Queue[bytes | None]) -> None:
    """The worker's body split into lines (without `\\n` or a trailing `\\r`), then None."""
    pending = b""
    try:
        async for chunk in response.chunks():
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                lines.put_nowait(line.removesuffix(b"\r"))
        if pending:
            lines.put_nowait(pending.removesuffix(b"\r"))
    except WorkerConnectionError as exc:
        log.info("byoc_stream_broken", extra={"error": str(exc)})
    lines.put_nowait(None)


async def _disconnected(receive: Receive) -> None:
    """Returns when the gateway goes away (the request body was read before)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _encoded(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


async def _start(
    send: Send, status: int, content_type: str, headers: list[tuple[str, str]]
) -> None:
    typed = [("Content-Type", content_type), *headers] if content_type else headers
    await send({"type": "http.response.start", "status": status, "headers": _encoded(typed)})


async def _write(send: Send, data: bytes | str) -> None:
    body = data.encode() if isinstance(data, str) else data
    await send({"type": "http.response.body", "body": body, "more_body": True})


async def _respond(
    send: Send, status: int, content_type: str, body: bytes, headers: list[tuple[str, str]]
) -> None:
    await _start(send, status, content_type, [*headers, ("Content-Length", str(len(body)))])
    await send({"type": "http.response.body", "body": body})
