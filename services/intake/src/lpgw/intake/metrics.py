"""Prometheus series of intake, on the process's default registry (served at /metrics)."""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "lpgw_intake_requests_total",
    "Application requests answered, by pipeline and HTTP status.",
    ["pipeline", "status"],
)
DURATION = Histogram(
    "lpgw_intake_request_duration_seconds",
    "Time from request to answer, by pipeline and HTTP status.",
    ["pipeline", "status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
)


@dataclass
class Observed:
    """Set `status` before the block ends; an exception counts as a 500, a client that went
    away as a 499."""

    status: int = 500


@contextmanager
def observe(pipeline: str) -> Iterator[Observed]:
    observed = Observed()
    started = time.perf_counter()
    try:
        yield observed
    except asyncio.CancelledError:
        observed.status = 499
        raise
    except Exception:
        observed.status = 500
        raise
    finally:
        status = str(observed.status)
        REQUESTS.labels(pipeline=pipeline, status=status).inc()
        DURATION.labels(pipeline=pipeline, status=status).observe(time.perf_counter() - started)
