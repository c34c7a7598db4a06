"""The text-to-image section of `make bench`: one small image and a GET of it, at concurrency
1, 8 and 32, through the gateway and (unpaid) straight to the orchestrator.

Printed for each: p50/p99 latency, requests/s, the added latency and the throughput ratio, the
CPU milliseconds per request of every process (from /proc), the gateway's summed, and NATS
messages and Redis commands per request; then the aims of docs/performance.md.
"""

import os
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import aiohttp
from direct import credentials
from lpgw.stack.topology import Gateway
from measure import GATEWAY, SHORT, Counters, Run, load
from profiles import profiled

PIPELINE = "text-to-image"
MODEL = "stabilityai/sdxl-turbo"
CONCURRENCY = (1, 8, 32)
WARM_UP = 40

One = Callable[[int], Awaitable[None]]
Runs = dict[tuple[str, int], Run]
"""By (`gateway` or `direct`, concurrency)."""


def body(i: int, size: int) -> dict[str, object]:
    return {"model_id": MODEL, "prompt": f"benchmark {i}", "width": size, "height": size, "seed": i}


async def fetch_images(http: aiohttp.ClientSession, answer: dict[str, object]) -> None:
    images = answer["images"]
    assert isinstance(images, list)
    for image in images:
        async with http.get(image["url"]) as response:
            response.raise_for_status()
            await response.read()


def via_gateway(http: aiohttp.ClientSession, gateway: Gateway, size: int) -> One:
    async def one(i: int) -> None:
        url = f"{gateway.intake_url}/{PIPELINE}"
        async with http.post(url, json=body(i, size), headers=gateway.auth) as response:
            if response.status != 200:
                raise SystemExit(f"gateway answered {response.status}: {await response.text()}")
            answer = await response.json()
        await fetch_images(http, answer)

    return one


async def direct(http: aiohttp.ClientSession, orchestrator: str, size: int) -> One:
    """What an application talking to the orchestrator itself does (off-chain)."""
    straight = await credentials(orchestrator, PIPELINE, MODEL)

    async def one(i: int) -> None:
        url = f"{straight.base_url}/{PIPELINE}"
        async with http.post(url, json=body(i, size), headers=straight.headers) as response:
            if response.status != 200:
                raise SystemExit(f"direct request failed: {response.status}")
            answer = await response.json()
        await fetch_images(http, answer)

    return one


def requests_at(concurrency: int, base: int) -> int:
    return base * {1: 1, 8: 2, 32: 4}.get(concurrency, 4)


async def measure(
    gateway: Gateway,
    orchestrator: str,
    pids: Mapping[str, int],
    counters: Counters,
    *,
    base: int,
    size: int,
    paid: bool,
    profile_dir: Path | None,
) -> Runs:
    connector = aiohttp.TCPConnector(ssl=False, limit=0)
    runs: Runs = {}
    async with aiohttp.ClientSession(connector=connector) as http:
        through = via_gateway(http, gateway, size)
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


def gateway_cpu(run: Run) -> float:
    return float(sum(run.cpu_ms[n] for n in GATEWAY))


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


def report(title: str, runs: Runs, size: int, base: int) -> None:
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


def aims(unpaid: Runs, paid: Runs) -> None:
    added = unpaid[("gateway", 1)].p(50) - unpaid[("direct", 1)].p(50)
    ratio = unpaid[("gateway", 8)].rate / unpaid[("direct", 8)].rate
    cpu = gateway_cpu(paid[("gateway", 8)])
    print("\naims (docs/performance.md), this run:")
    print(f"  added p50 at concurrency 1 (unpaid):        {added:6.1f} ms     aim <= 10 ms")
    print(f"  throughput at concurrency 8, gateway/direct: {ratio:6.2f}x       aim >= 0.6x")
    print(f"  gateway CPU per paid request (c8, summed):   {cpu:6.2f} ms     aim <= 15 ms")
