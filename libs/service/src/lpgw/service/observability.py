"""What operators probe and scrape: /healthz, /readyz, /metrics, and OTLP trace export."""

import contextlib
from collections.abc import Iterator

from lpgw.service.health import Readiness
from lpgw.service.logs import configure_logging, get_logger
from lpgw.service.settings import ServiceSettings
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
log = get_logger(__name__)


def health_routes(readiness: Readiness, registry: CollectorRegistry = REGISTRY) -> list[Route]:
    """Routes to mount in a service's app; they need no authentication.

    The default registry already carries the process, platform and GC collectors.
    """

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        ok, checks = await readiness.check()
        body = {
            "status": "ok" if ok else "unavailable",
            "checks": {name: "ok" if good else "failed" for name, good in checks.items()},
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"], include_in_schema=False),
        Route("/readyz", readyz, methods=["GET"], include_in_schema=False),
        Route("/metrics", metrics, methods=["GET"], include_in_schema=False),
    ]


def _traces_url(endpoint: str) -> str:
    # OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL; traces go to /v1/traces under it.
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else f"{base}/v1/traces"


def setup_tracing(service_name: str, endpoint: str | None) -> TracerProvider | None:
    """Export spans over OTLP/HTTP when an endpoint is set; otherwise keep the no-op provider.

    Returns the provider so the service can `shutdown()` it (flushing spans) on exit.
    """
    if not endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=_traces_url(endpoint)))
    )
    trace.set_tracer_provider(provider)
    log.info("tracing_enabled", extra={"endpoint": _traces_url(endpoint)})
    return provider


@contextlib.contextmanager
def observed(service_name: str, settings: ServiceSettings) -> Iterator[None]:
    """Logs at the configured level and, when an OTLP endpoint is set, tracing for the life of
    a service; buffered spans are flushed on the way out, however the service ends."""
    configure_logging(service_name, settings.log_level)
    provider = setup_tracing(service_name, settings.otel_exporter_otlp_endpoint)
    try:
        yield
    finally:
        if provider is not None:
            provider.shutdown()
