"""What the gateway adds to a batch AI request.

Starts NATS, Valkey, the five services and one devnet orchestrator (no added latency), then sends
N text-to-image requests at concurrency C twice in the same run: through the gateway (intake →
session → orchestrator → object store → response) and directly against the orchestrator (one
GetOrchestrator for an auth token, then POST /text-to-image and GET of the image, which is what
an application talking to the orchestrator itself would do). Prints p50/p99 of each, the added
latency and requests per second. Run with `make bench` (options: `--requests`, `--concurrency`).

The orchestrator takes no payment by default, so both paths do the same work; with `--paid` it
checks tickets like go-livepeer and only the gateway path is measured (the direct client has no
key), which shows what paying adds.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_nats, start_valkey
from lpgw.stack.topology import DevnetSpec, Ports, start_devnet, start_gateway
from lpgw.wire.capabilities import ai_discovery_capabilities, ai_job_capabilities
from lpgw.wire.client import OrchestratorClient
from lpgw.wire.headers import (
    AI_WORKER_AUTHORIZATION,
    AUTHORIZATION_HEADER,
    PAYMENT_HEADER,
    SEGMENT_HEADER,
    encode_payment,
    encode_segment,
)
from lpgw.wire.orchestrator_request import build_orchestrator_request
from lpgw.wire.segdata import ai_segdata

PIPELINE = "text-to-image"
MODEL = "stabilityai/sdxl-turbo"


def body(i: int, size: int) -> dict[str, object]:
    return {"model_id": MODEL, "prompt": f"benchmark {i}", "width": size, "height": size, "seed": i}


async def measure(
    n: int, concurrency: int, one: Callable[[int], Awaitable[None]]
) -> tuple[list[float], float]:
    """Latencies (s) of n calls of `one` with at most `concurrency` in flight, and wall time."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            await one(i)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def via_gateway(client: httpx.AsyncClient, intake: str, i: int, size: int) -> None:
    response = await client.post(f"{intake}/text-to-image", json=body(i, size))
    response.raise_for_status()
    for image in response.json()["images"]:
        (await client.get(image["url"])).raise_for_status()


async def direct_headers(orchestrator: str) -> tuple[str, dict[str, str]]:
    request = build_orchestrator_request(b"", b"", ai_discovery_capabilities(PIPELINE, MODEL))
    info = await OrchestratorClient().get_orchestrator(orchestrator, request)
    segment = ai_segdata(
        PIPELINE, MODEL, info.auth_token, ai_job_capabilities(PIPELINE, MODEL), None
    )
    return info.transcoder, {
        SEGMENT_HEADER: encode_segment(segment),
        PAYMENT_HEADER: encode_payment(None),
        AUTHORIZATION_HEADER: AI_WORKER_AUTHORIZATION,
    }


async def direct(
    client: httpx.AsyncClient, base: str, headers: dict[str, str], i: int, size: int
) -> None:
    response = await client.post(f"{base}/{PIPELINE}", json=body(i, size), headers=headers)
    if response.is_error:
        raise SystemExit(f"direct request failed: {response.status_code} {response.text}")
    for image in response.json()["images"]:
        (await client.get(image["url"])).raise_for_status()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


async def bench(
    intake: str, orchestrator: str, n: int, concurrency: int, size: int, paid: bool
) -> None:
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(verify=False, timeout=120, limits=limits) as client:
        await via_gateway(client, intake, -1, size)  # warm up: selection, connections
        gw, gw_wall = await measure(n, concurrency, lambda i: via_gateway(client, intake, i, size))
        rows = [("gateway (paid)" if paid else "gateway", gw, gw_wall)]
        if not paid:
            base, headers = await direct_headers(orchestrator)
            dr, dr_wall = await measure(
                n, concurrency, lambda i: direct(client, base, headers, i, size)
            )
            rows.append(("direct", dr, dr_wall))
    print(f"text-to-image {size}x{size}, {n} requests at concurrency {concurrency}")
    print(f"{'':16}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}")
    for name, lat, wall in rows:
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        print(f"{name:16}{p50:>10.1f}{p99:>10.1f}{len(lat) / wall:>10.1f}")
    if not paid:
        print(
            f"{'added':16}{percentile(gw, 50) - percentile(dr, 50):>10.1f}"
            f"{percentile(gw, 99) - percentile(dr, 99):>10.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--size", type=int, default=64, help="image width and height")
    parser.add_argument("--paid", action="store_true", help="orchestrator checks tickets")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp) / "logs") as sup:
        data = Path(tmp)
        nats_url = start_nats(sup, data / "nats")
        redis_url = start_valkey(sup, data / "valkey")
        payments = "--payments" if args.paid else "--no-payments"
        flags = ("--capacity", "64", payments)
        orchestrator = start_devnet(sup, DevnetSpec("devnet", price=1000, flags=flags))
        gateway = start_gateway(
            sup,
            nats_url=nats_url,
            redis_url=redis_url,
            prefix="bench",
            data_dir=data,
            ports=Ports.free(),
            orchestrators=[orchestrator],
        )
        time.sleep(1.0)  # first probe
        asyncio.run(
            bench(
                gateway.intake_url,
                orchestrator,
                args.requests,
                args.concurrency,
                args.size,
                args.paid,
            )
        )


if __name__ == "__main__":
    main()
