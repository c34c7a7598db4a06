"""Handlers for the errors a framework raises itself (unknown route, wrong method, a bug), so
they answer in the gateway's envelope like everything else."""

from lpgw.service.envelope import INTERNAL_ERROR, error_body
from lpgw.service.logs import get_logger
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = get_logger(__name__)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {}) or None
    return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    """A bug: logged with its traceback, answered without internals."""
    log.error("request_failed", exc_info=exc, extra={"path": request.url.path})
    return JSONResponse(error_body(INTERNAL_ERROR), status_code=500)


def install_error_handlers(app: Starlette) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
