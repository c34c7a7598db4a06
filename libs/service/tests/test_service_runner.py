"""A service process serves HTTP until SIGTERM, and refuses to start with a clear message."""

import socket
import textwrap
from typing import Any

import httpx

SERVE = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from lpgw.service.health import Readiness
    from lpgw.service.logs import configure_logging
    from lpgw.service.observability import health_routes
    from lpgw.service.runner import run_service, serve_http

    async def main(stop):
        app = Starlette(routes=health_routes(Readiness()))
        await serve_http(app, "127.0.0.1", PORT, stop)

    configure_logging("demo")
    run_service(main)
    """
)

REFUSE = textwrap.dedent(
    """
    from lpgw.service.errors import StartupError
    from lpgw.service.logs import configure_logging
    from lpgw.service.runner import run_service

    async def main(stop):
        raise StartupError("SIGNER_KEYSTORE_PATH is missing")

    configure_logging("demo")
    run_service(main)
    """
)

CRASH = textwrap.dedent(
    """
    from lpgw.service.logs import configure_logging
    from lpgw.service.runner import run_service

    async def main(stop):
        raise RuntimeError("bug")

    configure_logging("demo")
    run_service(main)
    """
)


def test_serves_until_sigterm_then_exits_cleanly(python_process: Any) -> None:
    proc = python_process(SERVE.replace("PORT", "0"))
    listening = proc.wait_event("http_listening")
    assert listening["service"] == "demo"
    response = httpx.get(f"http://127.0.0.1:{listening['port']}/healthz", timeout=5)
    assert response.json() == {"status": "ok"}

    assert proc.stop() == 0
    events = [line for line in proc.stderr if '"stop_requested"' in line or '"stopped"' in line]
    assert len(events) == 2, proc.output()
    assert '"SIGTERM"' in events[0]


def test_startup_error_exits_2_with_its_message(python_process: Any) -> None:
    proc = python_process(REFUSE)
    assert proc.wait() == 2
    record = proc.wait_event("startup_refused")
    assert record["reason"] == "SIGNER_KEYSTORE_PATH is missing"
    assert "Traceback" not in proc.output()


def test_port_in_use_is_a_startup_error(python_process: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = python_process(SERVE.replace("PORT", str(port)))
        assert proc.wait() == 2
    record = proc.wait_event("startup_refused")
    assert f"127.0.0.1:{port}" in record["reason"]


def test_a_crash_is_one_json_record_and_exit_1(python_process: Any) -> None:
    proc = python_process(CRASH)
    assert proc.wait() == 1
    record = proc.wait_event("service_crashed")
    assert "RuntimeError: bug" in record["exc"]
    assert all(line.startswith("{") for line in proc.stderr), proc.output()
