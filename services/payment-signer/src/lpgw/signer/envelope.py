"""Every error leaves as `{"error": {"message": m}, "detail": {"msg": m}}`.

This is the reference signer's shape (plus FastAPI's usual `detail`), so callers written for
either read the message. 500 and 503 hide their cause, as the reference does.
"""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from lpgw.service.logs import get_logger
from lpgw.signer.errors import InvalidRequest, SignerError, Unauthorized
from starlette.exceptions import HTTPException

log = get_logger(__name__)

STATUS: dict[type[SignerError], int] = {Unauthorized: 401, InvalidRequest: 400}
MASKED = {500: "Internal Server Error", 503: "Service Unavailable Error"}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    message = MASKED.get(status, message)
    body = {"error": {"message": message}, "detail": {"msg": message}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _signer_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return error_response(status, str(exc), headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), dict(exc.headers or {}) or None)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"msg": "invalid request"}
    return error_response(400, str(first.get("msg", "invalid request")))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("request_failed", exc_info=exc, extra={"path": request.url.path})
    return error_response(500, "")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignerError, _signer_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
