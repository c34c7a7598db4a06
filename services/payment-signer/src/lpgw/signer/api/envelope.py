"""Every error leaves as `{"error": {"message": m, ...}, "detail": {"msg": m}}`.

This is the reference signer's shape (plus the `detail` the livepeer-ai SDK reads), so
callers written for either read the message. Spend-limit refusals add `limit`, `allowed`,
`requested` and `excess` to `error`. 500 hides its cause, as the reference does; so does a
503 we did not raise ourselves (our own 503s say which dependency is missing, nothing more).
"""

from dataclasses import asdict
from typing import Any

from lpgw.service.envelope import error_body
from lpgw.service.logs import get_logger
from lpgw.signer.errors import (
    BadGateway,
    IdempotencyConflict,
    InvalidRequest,
    LimitExceeded,
    NothingToPay,
    RefreshNeeded,
    SignerError,
    Unauthorized,
    Unavailable,
    UnknownPayment,
    UnknownSession,
    WebhookRejected,
)
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ExceptionHandler

log = get_logger(__name__)

STATUS: dict[type[SignerError], int] = {
    Unauthorized: 401,
    InvalidRequest: 400,
    UnknownPayment: 404,
    UnknownSession: 404,
    IdempotencyConflict: 409,
    RefreshNeeded: 480,
    NothingToPay: 482,
    Unavailable: 503,
    BadGateway: 502,
}
MASKED = {500: "Internal Server Error", 503: "Service Unavailable Error"}
ORCHESTRATOR_URL_HEADER = "Livepeer-Orchestrator-URL"


def error_response(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    *,
    masked: bool = True,
) -> JSONResponse:
    if status == 500 or (masked and status in MASKED):
        message = MASKED[status]
    return JSONResponse(error_body(message, **(extra or {})), status_code=status, headers=headers)


def status_of(exc: SignerError) -> int:
    if isinstance(exc, LimitExceeded):
        return exc.status
    if isinstance(exc, WebhookRejected):
        return exc.status
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)


async def _signer_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SignerError)
    status = status_of(exc)
    headers = None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RefreshNeeded):
        headers = {ORCHESTRATOR_URL_HEADER: exc.orchestrator_url}
    extra = asdict(exc.excess) if isinstance(exc, LimitExceeded) else None
    if status >= 500:
        log.warning("request_refused", extra={"path": request.url.path, "status": status})
    return error_response(status, str(exc), headers, extra, masked=False)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), dict(exc.headers or {}) or None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("request_failed", exc_info=exc, extra={"path": request.url.path})
    return error_response(500, "")


def exception_handlers() -> dict[Any, ExceptionHandler]:
    return {SignerError: _signer_error, HTTPException: _http_error, Exception: _unexpected}
