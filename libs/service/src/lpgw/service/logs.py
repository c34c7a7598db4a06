"""Logs are events with fields: one JSON object per line on stderr, through stdlib logging.

    logger = get_logger(__name__)
    with bind_log_context(job_id=job.job_id):
        logger.info("tickets_signed", extra={"n": 3})

gives `{"ts": ..., "level": "info", "service": "signer", "event": "tickets_signed",
"logger": "...", "job_id": "...", "n": 3}`. Ids bound with `bind_log_context` follow the task
(context variables), so every record written while handling a job carries its id.

Secrets: pydantic `SecretStr`/`SecretBytes` values render as "**********" wherever they sit in
a field, and other objects render through `str` (a PrivateKey shows only its address).
"""

import contextlib
import json
import logging
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

from pydantic import BaseModel, SecretBytes, SecretStr

MASK = "**********"
_NO_IDS: Mapping[str, str] = MappingProxyType({})
_context: ContextVar[Mapping[str, str]] = ContextVar("lpgw_log_context", default=_NO_IDS)
# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}
_OWN_KEYS = ("ts", "level", "service", "event", "logger")


@contextlib.contextmanager
def bind_log_context(**ids: str | None) -> Iterator[None]:
    """Add ids (job_id, stream_id, request_id, ...) to every record logged inside the block."""
    merged = {**_context.get(), **{k: str(v) for k, v in ids.items() if v is not None}}
    token = _context.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _context.reset(token)


def log_context() -> Mapping[str, str]:
    """The ids currently bound (for propagating them, e.g. into message headers)."""
    return _context.get()


def _jsonable(value: Any) -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        return MASK
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with the service name and the bound context ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "event": record.getMessage(),
            "logger": record.name,
        }
        entry.update(_context.get())
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS:
                entry[f"field_{key}" if key in _OWN_KEYS else key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=_jsonable, ensure_ascii=False)


class _JsonHandler(logging.StreamHandler[TextIO]):
    """Marks the handler configure_logging installed, so a second call replaces it."""


def configure_logging(
    service: str, level: str | int = "INFO", *, stream: TextIO | None = None
) -> None:
    """Route every logger (ours, uvicorn's, libraries') to JSON lines; callable again to change."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(old)
    handler = _JsonHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # uvicorn installs its own handlers only when given a log config; serve_http gives none,
    # so its records propagate here.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
