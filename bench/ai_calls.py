"""One AI call as an application makes it: post the request, read the whole answer (every
server-sent event of a stream), then GET every media file the answer points at.

A refusal or a broken answer raises `CallFailed` with what was seen, so a run can count
failures per pipeline and status instead of stopping at the first.
"""

import json
from collections.abc import Iterator, Mapping

import aiohttp
from ai_workload import Request

DONE = b"data: [DONE]"
BODY_SHOWN = 300
"""Characters of a failed answer's body kept for the report."""


class CallFailed(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body[:BODY_SHOWN]


def _form(request: Request) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request.fields.items():
        form.add_field(name, value)
    for name, upload in request.files.items():
        form.add_field(
            name, upload.data, filename=upload.filename, content_type=upload.content_type
        )
    return form


def media_urls(answer: object) -> Iterator[str]:
    """`images[].url` (images, a video) and `audio.url` (speech)."""
    if not isinstance(answer, dict):
        return
    for image in answer.get("images") or ():
        if isinstance(image, dict) and isinstance(image.get("url"), str):
            yield image["url"]
    audio = answer.get("audio")
    if isinstance(audio, dict) and isinstance(audio.get("url"), str):
        yield audio["url"]


async def call(
    http: aiohttp.ClientSession, base_url: str, request: Request, headers: Mapping[str, str]
) -> int:
    """The call's bytes received (answer and media); raises CallFailed."""
    url = f"{base_url}{request.path}"
    body = {"json": request.json} if request.json is not None else {"data": _form(request)}
    try:
        async with http.post(url, headers=headers, **body) as response:
            data = await response.read()
            if response.status != 200:
                raise CallFailed(response.status, data.decode(errors="replace"))
        received = len(data)
        if request.stream:
            if DONE not in data[-64:]:
                raise CallFailed(200, f"stream ended without [DONE]: {data[-120:]!r}")
            return received
        answer = json.loads(data)
        for media in media_urls(answer):
            async with http.get(media) as response:
                file = await response.read()
                if response.status != 200:
                    raise CallFailed(response.status, f"GET {media}: {file[:200]!r}")
            received += len(file)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise CallFailed(0, f"{type(exc).__name__}: {exc}") from exc
    return received
