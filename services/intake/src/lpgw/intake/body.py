"""Reading a request body without ever holding more than the configured limit."""

from lpgw.intake.errors import BodyTooLarge
from starlette.requests import Request


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as the declared or received size passes `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)
