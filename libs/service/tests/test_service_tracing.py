"""Spans reach an OTLP/HTTP collector when an endpoint is set; nothing is set up otherwise."""

import http.server
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from lpgw.service.observability import setup_tracing
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider


class Collector(http.server.ThreadingHTTPServer):
    def __init__(self) -> None:
        self.received: list[tuple[str, str, bytes]] = []
        self.got_one = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((self.path, self.headers.get("Content-Type", ""), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.got_one.set()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_without_endpoint_the_provider_stays_the_default() -> None:
    assert setup_tracing("demo", None) is None
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)


def test_spans_are_exported_to_the_endpoint(python_process: Any, collector: Collector) -> None:
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    code = textwrap.dedent(
        f"""
        from opentelemetry import trace
        from lpgw.service.observability import setup_tracing

        provider = setup_tracing("demo-svc", {endpoint!r})
        with trace.get_tracer("test").start_as_current_span("sign_tickets"):
            pass
        provider.shutdown()
        """
    )
    proc = python_process(code)
    assert proc.wait() == 0, proc.output()
    assert collector.got_one.wait(timeout=10)
    path, content_type, body = collector.received[0]
    assert path == "/v1/traces"
    assert content_type == "application/x-protobuf"
    assert b"sign_tickets" in body and b"demo-svc" in body


def test_a_service_observed_to_the_end_flushes_its_spans_even_when_it_fails(
    python_process: Any, collector: Collector
) -> None:
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    code = textwrap.dedent(
        f"""
        from opentelemetry import trace
        from lpgw.service.observability import observed
        from lpgw.service.settings import ServiceSettings

        settings = ServiceSettings(otel_exporter_otlp_endpoint={endpoint!r})
        try:
            with observed("observed-svc", settings):
                with trace.get_tracer("test").start_as_current_span("serve_job"):
                    pass
                raise RuntimeError("the service failed")
        except RuntimeError:
            pass
        """
    )
    proc = python_process(code)
    assert proc.wait() == 0, proc.output()
    assert collector.got_one.wait(timeout=10)
    _, _, body = collector.received[0]
    assert b"serve_job" in body and b"observed-svc" in body
