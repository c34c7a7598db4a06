"""Running the mixed AI workload (ai_workload.py) through the gateway and straight to the
orchestrator, and what every process spent on it.

A run sends requests of several kinds at a fixed concurrency; it keeps each kind's latencies
and the failures (kind, status, body), so one broken pipeline is counted, not fatal. The CPU of
every process (/proc) and the NATS/Redis counters are read around the whole run: a process
cannot say which request it spent a millisecond on, so CPU per kind comes from runs of that
kind alone (`alone`), at the same concurrency; the interleaved run gives the mix's total.
What the gateway spends idle (timers, probes, heartbeats) is measured too: every per-request
figure includes it, divided by the run's requests/s.
"""

import asyncio
import collections
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp
from ai_calls import CallFailed, call
from ai_workload import Kind
from direct import Credentials, credentials
from lpgw.stack.topology import Gateway
from measure import Counters, cpu_seconds

Send = Callable[[Kind, int], Awaitable[int]]
"""Send request i of a kind; the bytes received; raises CallFailed."""
Failure = tuple[str, int, str]
"""(kind label, HTTP status or 0 for a transport error, body)"""
IDLE_S = 3.0


@dataclass
class Tally:
    """One run: latencies and failures by kind, wall time, CPU ms and counter increments."""

    latencies_s: dict[str, list[float]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    failures: collections.Counter[Failure] = field(default_factory=collections.Counter)
    received: int = 0
    wall_s: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)

    def n(self, label: str | None = None) -> int:
        if label is None:
            return sum(len(v) for v in self.latencies_s.values())
        return len(self.latencies_s.get(label, ()))

    def failed(self, label: str | None = None) -> int:
        return sum(c for (kind, _, _), c in self.failures.items() if label in (None, kind))

    def rate(self, label: str | None = None) -> float:
        return self.n(label) / self.wall_s if self.wall_s else 0.0

    def p(self, q: int, label: str | None = None) -> float:
        """The q-th percentile latency in ms of one kind or of all; nan without samples."""
        if label is None:
            samples = [s for v in self.latencies_s.values() for s in v]
        else:
            samples = self.latencies_s.get(label, [])
        if len(samples) < 2:
            return samples[0] * 1000 if samples else float("nan")
        return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] * 1000

    def per_request(self, process: str) -> float:
        """CPU ms per completed request of one process."""
        return self.cpu_ms.get(process, 0.0) / max(self.n(), 1)


async def run(
    order: Sequence[tuple[Kind, int]],
    concurrency: int,
    send: Send,
    pids: Mapping[str, int],
    counters: Counters | None = None,
) -> Tally:
    """Every (kind, i) of `order` sent, at most `concurrency` in flight."""
    tally = Tally()
    queue: asyncio.Queue[tuple[Kind, int]] = asyncio.Queue()
    for item in order:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            kind, i = queue.get_nowait()
            started = time.perf_counter()
            try:
                received = await send(kind, i)
            except CallFailed as failure:
                tally.failures[(kind.label, failure.status, failure.body)] += 1
                continue
            tally.latencies_s[kind.label].append(time.perf_counter() - started)
            tally.received += received  # not `+= await`: that reads the sum before awaiting

    counted = await counters() if counters is not None else {}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.wall_s = time.perf_counter() - started
    tally.cpu_ms = {name: (cpu_seconds(pid) - before[name]) * 1000 for name, pid in pids.items()}
    after = await counters() if counters is not None else {}
    tally.counts = {name: after[name] - counted[name] for name in counted}
    return tally


def via_gateway(http: aiohttp.ClientSession, gateway: Gateway) -> Send:
    async def send(kind: Kind, i: int) -> int:
        return await call(http, gateway.intake_url, kind.make(i), gateway.auth)

    return send


async def via_direct(
    http: aiohttp.ClientSession, orchestrator: str, workload: Sequence[Kind]
) -> Send:
    """Straight to the orchestrator, with credentials made once per pipeline."""
    by_pipeline: dict[str, Credentials] = {}
    for kind in workload:
        if kind.pipeline not in by_pipeline:
            model = kind.make(0).model
            by_pipeline[kind.pipeline] = await credentials(orchestrator, kind.pipeline, model)

    async def send(kind: Kind, i: int) -> int:
        direct = by_pipeline[kind.pipeline]
        return await call(http, direct.base_url, kind.make(i), direct.headers)

    return send


@dataclass
class Measured:
    """The mix interleaved, and each kind alone; direct runs only where the orchestrator takes
    no payment. `excluded`: kinds left out because their first request failed, and why."""

    warm: Tally | None = None
    mix: Tally | None = None
    mix_direct: Tally | None = None
    alone: dict[str, Tally] = field(default_factory=dict)
    alone_direct: dict[str, Tally] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)
    idle_ms_per_s: dict[str, float] = field(default_factory=dict)


async def idle_cpu(pids: Mapping[str, int], seconds: float = IDLE_S) -> dict[str, float]:
    """CPU ms per second of each process while no request is in flight."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    await asyncio.sleep(seconds)
    return {name: (cpu_seconds(pid) - before[name]) * 1000 / seconds for name, pid in pids.items()}


def numbered(kinds: Sequence[Kind]) -> list[tuple[Kind, int]]:
    return [(kind, i) for i, kind in enumerate(kinds)]


async def first_calls(sends: Sequence[Send], workload: Sequence[Kind]) -> dict[str, str]:
    """One request of every kind on every path, one at a time: the kinds that failed."""
    broken: dict[str, str] = {}
    for kind in workload:
        for send in sends:
            try:
                await send(kind, -1)
            except CallFailed as failure:
                broken.setdefault(kind.label, f"{failure.status}: {failure.body}")
    return broken


async def measure(
    gateway: Gateway,
    orchestrator: str,
    pids: Mapping[str, int],
    counters: Counters,
    *,
    workload: Sequence[Kind],
    order: Sequence[Kind],
    concurrency: int,
    paid: bool,
) -> Measured:
    """Unpaid: the interleaved mix and each kind alone, through the gateway and directly.
    Paid: each kind alone through the gateway (a direct client has no key to pay with)."""
    measured = Measured()
    connector = aiohttp.TCPConnector(ssl=False, limit=0)
    timeout = aiohttp.ClientTimeout(total=180)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        through = via_gateway(http, gateway)
        straight = None if paid else await via_direct(http, orchestrator, workload)
        sends = [through] if straight is None else [through, straight]
        measured.excluded = await first_calls(sends, workload)
        kept = [k for k in workload if k.label not in measured.excluded]
        order = [k for k in order if k.label not in measured.excluded]
        warm = numbered([k for k in kept for _ in range(concurrency // 2 or 1)])
        # the payment session, connection pools and the selector's rankings
        measured.warm = await run(warm, concurrency, through, pids)
        measured.idle_ms_per_s = await idle_cpu(pids)
        if straight is not None:
            measured.mix = await run(numbered(order), concurrency, through, pids, counters)
            measured.mix_direct = await run(numbered(order), concurrency, straight, pids)
        for kind in kept:
            alone = numbered([k for k in order if k is kind] or [kind])
            alone += [(kind, len(alone) + i) for i in range(concurrency - len(alone))]
            measured.alone[kind.label] = await run(alone, concurrency, through, pids, counters)
            if straight is not None:
                measured.alone_direct[kind.label] = await run(alone, concurrency, straight, pids)
    return measured
