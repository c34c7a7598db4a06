"""A `Reply` (status, JSON body, headers; pure, in `replies`) as the HTTP response it is."""

from lpgw.intake.replies import Reply
from starlette.responses import JSONResponse


def json_reply(reply: Reply) -> JSONResponse:
    return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)
