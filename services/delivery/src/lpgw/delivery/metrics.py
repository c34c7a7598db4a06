"""Prometheus series of delivery, on the process's default registry (served at /metrics)."""

from prometheus_client import Counter

REQUESTS = Counter(
    "lpgw_delivery_requests_total", "Media requests answered, by HTTP status.", ["status"]
)
BYTES = Counter("lpgw_delivery_bytes_total", "Media bytes sent in response bodies.")


def record(status: int, sent: int) -> None:
    REQUESTS.labels(status=str(status)).inc()
    BYTES.inc(sent)
