"""The devnet's demo BYOC worker container: a small app with deterministic answers, so a
gateway's BYOC path can be tested end to end without a real container.

* `POST /echo`: the body as sent, with its `Content-Type` and
  `X-Metadata: {"route":"echo","bytes":n}`.
* `POST /stream`: `text/event-stream`, one `data: {"token": w, "index": i}` per word of the
  body's `prompt` (else of the body itself), repeated up to `max_tokens` when given,
  `delay_ms` apart (default the devnet's `--byoc-token-delay-ms`), then `data: [DONE]`.
* `POST /sleep`: waits the body's `seconds` (`{"seconds": x}` or a bare number), then
  answers `{"slept": x}`.
* `POST /fail`: 500 `worker failure`.

With a token, every call must carry `Authorization: Bearer <token>`, else 401.
"""

import asyncio
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from itertools import cycle, islice

from lpgw.wire.headers import METADATA_HEADER
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

MAX_SLEEP_S = 3600.0
MAX_TOKENS = 10_000

Handler = Callable[[Request], Awaitable[Response]]


def stream_tokens(body: bytes) -> tuple[list[str], float | None]:
    """The words a `/stream` body asks for, and its own delay in seconds if it sets one."""
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    fields = value if isinstance(value, dict) else {}
    prompt = fields.get("prompt")
    text = prompt if isinstance(prompt, str) else body.decode("utf-8", errors="replace")
    words = text.split()
    wanted = fields.get("max_tokens")
    if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted >= 0 and words:
        words = list(islice(cycle(words), min(wanted, MAX_TOKENS)))
    delay = fields.get("delay_ms")
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
        return words, None
    return words, delay / 1000


def sleep_seconds(body: bytes) -> float | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if isinstance(value, dict):
        value = value.get("seconds")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= MAX_SLEEP_S else None


def worker_app(token: str | None, token_delay_s: float) -> Starlette:
    def guarded(handler: Handler) -> Handler:
        async def checked(request: Request) -> Response:
            sent = request.headers.get("authorization", "")
            if token is not None and not hmac.compare_digest(sent, f"Bearer {token}"):
                return PlainTextResponse("unauthorized\n", status_code=401)
            return await handler(request)

        return checked

    async def echo(request: Request) -> Response:
        body = await request.body()
        metadata = json.dumps({"route": "echo", "bytes": len(body)}, separators=(",", ":"))
        return Response(
            body,
            media_type=request.headers.get("content-type", "application/octet-stream"),
            headers={METADATA_HEADER: metadata},
        )

    async def stream(request: Request) -> Response:
        words, delay = stream_tokens(await request.body())
        pause = token_delay_s if delay is None else delay

        async def events() -> AsyncIterator[bytes]:
            for index, word in enumerate(words):
                if index:
                    await asyncio.sleep(pause)
                event = json.dumps({"token": word, "index": index}, ensure_ascii=False)
                yield f"data: {event}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    async def sleep(request: Request) -> Response:
        seconds = sleep_seconds(await request.body())
        if seconds is None:
            return PlainTextResponse(
                f"seconds must be a number from 0 to {MAX_SLEEP_S:g}\n", status_code=400
            )
        await asyncio.sleep(seconds)
        return JSONResponse({"slept": seconds})

    async def fail(request: Request) -> Response:
        await request.body()
        return PlainTextResponse("worker failure", status_code=500)

    return Starlette(
        routes=[
            Route("/echo", guarded(echo), methods=["POST"]),
            Route("/stream", guarded(stream), methods=["POST"]),
            Route("/sleep", guarded(sleep), methods=["POST"]),
            Route("/fail", guarded(fail), methods=["POST"]),
        ]
    )
