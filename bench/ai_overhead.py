"""What the gateway adds to a batch AI request: latency, throughput and CPU, unpaid and paid.

One run starts NATS and Valkey, then two phases, each with the five services and one devnet
orchestrator (no added latency, capacity 64):

- unpaid: the orchestrator takes no payment (`--no-payments`), so the gateway and a client
  talking to the orchestrator directly do the same work; both are measured;
- paid: the orchestrator checks every ticket as go-livepeer does; only the gateway is measured
  (a direct client has no key to pay with), which shows what paying costs.

A request is a 64×64 text-to-image and a GET of its image (from delivery through the gateway,
from the orchestrator directly), at concurrency 1, 8 and 32. Printed for each: p50/p99
latency, requests/s, the added latency and the throughput ratio, and the CPU milliseconds per
request of every process (from /proc), the gateway's summed. `--profile DIR` also records a
py-spy profile of every gateway process during the concurrency-8 runs (see profiles.py).
Run with `make bench`; `--requests N` sets the requests at concurrency 1 (×2 at 8, ×4 at 32).
"""

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import aiohttp
from lpgw.stack.ports import free_port
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_nats, start_valkey
from lpgw.stack.topology import SERVICES, DevnetSpec, Gateway, Ports, start_devnet, start_gateway
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
from measure import Counters, Run, load, server_counters
from profiles import profiled

PIPELINE = "text-to-image"
MODEL = "stabilityai/sdxl-turbo"
CONCURRENCY = (1, 8, 32)
WARM_UP = 40
GATEWAY = ("intake", "session", "selector", "payment-signer", "delivery", "nats", "valkey")
SHORT = {"payment-signer": "signer"}

One = Callable[[int], Awaitable[None]]


def body(i: int, size: int) -> dict[str, object]:
    return {"model_id": MODEL, "prompt": f"benchmark {i}", "width": size, "height": size, "seed": i}


async def fetch_images(http: aiohttp.ClientSession, answer: dict[str, object]) -> None:
    images = answer["images"]
    assert isinstance(images, list)
    for image in images:
        async with http.get(image["url"]) as response:
            response.raise_for_status()
            await response.read()


def via_gateway(http: aiohttp.ClientSession, intake: str, size: int) -> One:
    async def one(i: int) -> None:
        async with http.post(f"{intake}/{PIPELINE}", json=body(i, size)) as response:
            if response.status != 200:
                raise SystemExit(f"gateway answered {response.status}: {await response.text()}")
            answer = await response.json()
        await fetch_images(http, answer)

    return one


async def direct(http: aiohttp.ClientSession, orchestrator: str, size: int) -> One:
    """What an application talking to the orchestrator itself does (off-chain)."""
    request = build_orchestrator_request(b"", b"", ai_discovery_capabilities(PIPELINE, MODEL))
    info = await OrchestratorClient().get_orchestrator(orchestrator, request)
    segment = ai_segdata(
        PIPELINE, MODEL, info.auth_token, ai_job_capabilities(PIPELINE, MODEL), None
    )
    headers = {
        SEGMENT_HEADER: encode_segment(segment),
        PAYMENT_HEADER: encode_payment(None),
        AUTHORIZATION_HEADER: AI_WORKER_AUTHORIZATION,
    }

    async def one(i: int) -> None:
        url = f"{info.transcoder}/{PIPELINE}"
        async with http.post(url, json=body(i, size), headers=headers) as response:
            if response.status != 200:
                raise SystemExit(f"direct request failed: {response.status}")
            answer = await response.json()
        await fetch_images(http, answer)

    return one


def requests_at(concurrency: int, base: int) -> int:
    return base * {1: 1, 8: 2, 32: 4}.get(concurrency, 4)


def header() -> str:
    names = "".join(f"{SHORT.get(n, n):>9}" for n in GATEWAY)
    latency = f"{'':22}{'p50 ms':>8}{'p99 ms':>8}{'req/s':>8}"
    others = f"{'gateway':>9}{'devnet':>8}{'client':>8}"
    return f"{latency} | CPU ms/request:{names}{others} | per request: NATS msgs, Redis cmds"


def row(label: str, run: Run, gateway: bool) -> str:
    """Gateway rows show the gateway's processes and server counters; direct rows do not."""
    blank = f"{'':>9}"
    cpu = "".join(f"{run.cpu_ms[n]:>9.2f}" if gateway else blank for n in GATEWAY)
    summed = f"{gateway_cpu(run):>9.2f}" if gateway else blank
    counts = f"{run.counts['nats msgs']:>6.1f}{run.counts['redis cmds']:>8.1f}" if gateway else ""
    return (
        f"{label:22}{run.p(50):>8.1f}{run.p(99):>8.1f}{run.rate:>8.1f} | {'':15}{cpu}{summed}"
        f"{run.cpu_ms['devnet']:>8.2f}{run.cpu_ms['client']:>8.2f} | {counts}"
    )


def gateway_cpu(run: Run) -> float:
    return float(sum(run.cpu_ms[n] for n in GATEWAY))


async def phase(
    gateway: Gateway,
    orchestrator: str,
    pids: Mapping[str, int],
    *,
    base: int,
    size: int,
    paid: bool,
    profile_dir: Path | None,
    counters: Counters,
) -> dict[tuple[str, int], Run]:
    connector = aiohttp.TCPConnector(ssl=False, limit=0)
    runs: dict[tuple[str, int], Run] = {}
    async with aiohttp.ClientSession(connector=connector) as http:
        through = via_gateway(http, gateway.intake_url, size)
        for i in range(WARM_UP):  # selection, connections, payment session, first tickets
            await through(-1 - i)
        straight = None if paid else await direct(http, orchestrator, size)
        for concurrency in CONCURRENCY:
            n = requests_at(concurrency, base)
            profiling: AbstractContextManager[None] = nullcontext()
            if profile_dir is not None and concurrency == 8:
                folder = profile_dir / ("paid" if paid else "unpaid")
                profiling = profiled({k: v for k, v in pids.items() if k in GATEWAY}, folder)
            with profiling:
                runs[("gateway", concurrency)] = await load(n, concurrency, through, pids, counters)
            if straight is not None:
                runs[("direct", concurrency)] = await load(n, concurrency, straight, pids)
    return runs


def report(title: str, runs: dict[tuple[str, int], Run], size: int, base: int) -> None:
    print(f"\n{title}: text-to-image {size}x{size} and its image, {os.cpu_count()} cores")
    print(header())
    for concurrency in CONCURRENCY:
        n = requests_at(concurrency, base)
        gw = runs[("gateway", concurrency)]
        print(row(f"c{concurrency:<3} gateway ({n})", gw, True))
        dr = runs.get(("direct", concurrency))
        if dr is not None:
            print(row(f"c{concurrency:<3} direct", dr, False))
            print(
                f"{f'c{concurrency:<3} added / ratio':22}{gw.p(50) - dr.p(50):>8.1f}"
                f"{gw.p(99) - dr.p(99):>8.1f}{gw.rate / dr.rate:>7.2f}x"
            )


def aims(unpaid: dict[tuple[str, int], Run], paid: dict[tuple[str, int], Run]) -> None:
    added = unpaid[("gateway", 1)].p(50) - unpaid[("direct", 1)].p(50)
    ratio = unpaid[("gateway", 8)].rate / unpaid[("direct", 8)].rate
    cpu = gateway_cpu(paid[("gateway", 8)])
    print("\naims (docs/performance.md), this run:")
    print(f"  added p50 at concurrency 1 (unpaid):        {added:6.1f} ms     aim <= 10 ms")
    print(f"  throughput at concurrency 8, gateway/direct: {ratio:6.2f}x       aim >= 0.6x")
    print(f"  gateway CPU per paid request (c8, summed):   {cpu:6.2f} ms     aim <= 15 ms")


def start_phase(
    sup: Supervisor, data: Path, nats_url: str, redis_url: str, *, paid: bool
) -> tuple[Gateway, str, dict[str, int]]:
    for name in SERVICES:  # the previous phase's gateway
        if sup.is_running(name):
            sup.stop(name)
    payments = "--payments" if paid else "--no-payments"
    name = "devnet-paid" if paid else "devnet-free"
    orchestrator = start_devnet(
        sup, DevnetSpec(name, price=1000, flags=("--capacity", "64", payments))
    )
    gateway = start_gateway(
        sup,
        nats_url=nats_url,
        redis_url=redis_url,
        prefix="benchpaid" if paid else "benchfree",
        data_dir=data,
        ports=Ports.free(),
        orchestrators=[orchestrator],
    )
    pids = {n: sup.child(n).pid or 0 for n in (*SERVICES, "nats", "valkey")}
    pids.update(devnet=sup.child(name).pid or 0, client=os.getpid())
    time.sleep(1.0)  # the selector's first probe
    return gateway, orchestrator, pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="requests at concurrency 1")
    parser.add_argument("--size", type=int, default=64, help="image width and height")
    parser.add_argument("--profile", type=Path, help="write py-spy profiles into this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp) / "logs") as sup:
        data = Path(tmp)
        monitor = free_port("127.0.0.1")
        nats_url = start_nats(sup, data / "nats", monitor_port=monitor)
        redis_url = start_valkey(sup, data / "valkey")
        counters = server_counters(f"http://127.0.0.1:{monitor}", redis_url)
        results = {}
        for paid in (False, True):
            gateway, orchestrator, pids = start_phase(sup, data, nats_url, redis_url, paid=paid)
            results[paid] = asyncio.run(
                phase(
                    gateway,
                    orchestrator,
                    pids,
                    base=args.requests,
                    size=args.size,
                    paid=paid,
                    profile_dir=args.profile,
                    counters=counters,
                )
            )
            report("paid" if paid else "unpaid", results[paid], args.size, args.requests)
        aims(results[False], results[True])


if __name__ == "__main__":
    main()
