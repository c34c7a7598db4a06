"""Prometheus series of intake, on the process's default registry (served at /metrics)."""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram

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


# Live video ---------------------------------------------------------------------------------
# Per-stream series: streams are few (INTAKE_MAX_STREAMS), and `forget_stream` removes a
# stream's series when it ends here, so the label set stays bounded.
VIDEO_SEGMENTS = Counter(
    "lpgw_intake_video_segments_total",
    "Segments published on the bus, by stream.",
    ["stream"],
)
VIDEO_BYTES = Counter(
    "lpgw_intake_video_bytes_total",
    "Bytes of source segments stored, by stream.",
    ["stream"],
)
VIDEO_PUBLISH_SECONDS = Histogram(
    "lpgw_intake_video_publish_seconds",
    "Time to hand one segment over (sequence number, blob, event), by ingest kind.",
    ["kind"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
VIDEO_PUBLISHERS = Gauge(
    "lpgw_intake_video_publishers",
    "Streams publishing through this process, by ingest kind.",
    ["kind"],
)
VIDEO_REFUSED = Counter(
    "lpgw_intake_video_refused_total",
    "Publishers and pushes refused, by ingest kind and reason.",
    ["kind", "reason"],
)
VIDEO_FAILED = Counter(
    "lpgw_intake_video_streams_failed_total",
    "Publishings closed because their media could not be cut, by reason.",
    ["reason"],
)


def forget_stream(stream_id: str) -> None:
    """Drop a stream's per-stream series (it ended)."""
    for family in (VIDEO_SEGMENTS, VIDEO_BYTES):
        with suppress(KeyError):
            family.remove(stream_id)
