"""Log records are JSON lines with the bound ids; secrets never reach them."""

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from lpgw.eth import PrivateKey
from lpgw.service.logs import bind_log_context, configure_logging, get_logger, log_context
from pydantic import BaseModel, SecretStr


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    out = io.StringIO()
    configure_logging("demo", "DEBUG", stream=out)
    yield out
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_a_json_event_with_fields(stream: io.StringIO) -> None:
    get_logger("lpgw.demo").info("tickets_signed", extra={"n": 3, "sender": b"\x01\x02"})
    (record,) = records(stream)
    assert record["event"] == "tickets_signed"
    assert record["service"] == "demo"
    assert record["level"] == "info"
    assert record["logger"] == "lpgw.demo"
    assert record["n"] == 3
    assert record["sender"] == "0x0102"
    assert record["ts"].endswith("+00:00")


def test_bound_ids_are_carried_and_unbound_after_the_block(stream: io.StringIO) -> None:
    log = get_logger("lpgw.demo")
    with bind_log_context(job_id="job-1"):
        with bind_log_context(request_id="req-9", stream_id=None):
            log.info("inner")
            assert log_context() == {"job_id": "job-1", "request_id": "req-9"}
        log.info("outer")
    log.info("after")
    inner, outer, after = records(stream)
    assert (inner["job_id"], inner["request_id"]) == ("job-1", "req-9")
    assert "stream_id" not in inner
    assert outer["job_id"] == "job-1" and "request_id" not in outer
    assert "job_id" not in after


async def test_ids_stay_with_their_task(stream: io.StringIO) -> None:
    log = get_logger("lpgw.demo")

    async def work(job_id: str) -> None:
        with bind_log_context(job_id=job_id):
            await asyncio.sleep(0.01)
            log.info("working", extra={"expected": job_id})

    await asyncio.gather(work("a"), work("b"), work("c"))
    working = [r for r in records(stream) if r["event"] == "working"]
    assert len(working) == 3
    for record in working:
        assert record["job_id"] == record["expected"]


def test_secrets_are_masked_wherever_they_sit(stream: io.StringIO) -> None:
    class Config(BaseModel):
        password: SecretStr

    key = PrivateKey.generate()
    get_logger("lpgw.demo").info(
        "configured",
        extra={
            "password": SecretStr("hunter2"),
            "nested": {"token": SecretStr("tok-123"), "list": [SecretStr("in-a-list")]},
            "model": Config(password=SecretStr("model-pw")),
            "key": key,
        },
    )
    text = stream.getvalue()
    for secret in ("hunter2", "tok-123", "in-a-list", "model-pw", key.secret_bytes().hex()):
        assert secret not in text
    (record,) = records(stream)
    assert record["password"] == "**********"
    assert record["nested"]["token"] == "**********"
    assert record["model"]["password"] == "**********"
    assert key.checksum_address in record["key"]


def test_exceptions_are_a_formatted_field(stream: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        get_logger("lpgw.demo").exception("handler_failed")
    (record,) = records(stream)
    assert record["level"] == "error"
    assert "Traceback" in record["exc"] and "RuntimeError: boom" in record["exc"]


def test_fields_cannot_overwrite_the_envelope(stream: io.StringIO) -> None:
    get_logger("lpgw.demo").info("real", extra={"service": "fake", "level": "x"})
    (record,) = records(stream)
    assert (record["service"], record["level"]) == ("demo", "info")
    assert (record["field_service"], record["field_level"]) == ("fake", "x")


def test_level_filters_and_reconfiguring_replaces_the_handler(stream: io.StringIO) -> None:
    second = io.StringIO()
    configure_logging("demo", "WARNING", stream=second)
    log = get_logger("lpgw.demo")
    log.info("hidden")
    log.warning("shown")
    assert stream.getvalue() == ""
    assert [r["event"] for r in records(second)] == ["shown"]
