"""FastAPI dependencies: the signing service, bearer authentication, request body checks."""

import json
from typing import Annotated, cast

from fastapi import Depends, Header, Request
from lpgw.signer.auth import BearerAuth
from lpgw.signer.errors import InvalidRequest, Unauthorized
from lpgw.signer.signing import SigningService


def _signing(request: Request) -> SigningService:
    return cast(SigningService, request.app.state.signing)


def require_bearer(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    auth = cast(BearerAuth, request.app.state.auth)
    if not auth.allows(authorization):
        raise Unauthorized("missing or invalid bearer token")


async def empty_or_json_object(request: Request) -> None:
    """Accept an empty body or a JSON object (clients send `{}`); anything else is a 400."""
    body = await request.body()
    if not body.strip():
        return
    try:
        document = json.loads(body)
    except ValueError:
        raise InvalidRequest("request body is not JSON") from None
    if not isinstance(document, dict):
        raise InvalidRequest("request body must be a JSON object")


Signing = Annotated[SigningService, Depends(_signing)]
EmptyBody = Depends(empty_or_json_object)
Authenticated = Depends(require_bearer)
