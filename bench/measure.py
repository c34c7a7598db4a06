"""What every benchmark here measures with: load at a concurrency, latency percentiles, the
CPU each process spent (Linux /proc), so cost is told apart from waiting, and counters read
around the run (NATS messages, Redis commands), so round trips are counted, not guessed."""

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

Counters = Callable[[], Awaitable[dict[str, float]]]
GATEWAY = ("intake", "session", "selector", "payment-signer", "delivery", "nats", "valkey")
"""The gateway's processes, whose CPU is summed as the gateway's."""
SHORT = {"payment-signer": "signer"}
"""Column names where the process name is too wide."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    latencies_s: list[float]
    wall_s: float
    cpu_ms: dict[str, float]
    """CPU milliseconds per call, by process name."""
    counts: dict[str, float] = field(default_factory=dict)
    """Counter increments per call (`nats msgs`, `redis cmds`)."""

    @property
    def rate(self) -> float:
        return len(self.latencies_s) / self.wall_s

    def p(self, q: int) -> float:
        """The q-th percentile latency in milliseconds."""
        cuts = statistics.quantiles(self.latencies_s, n=100, method="inclusive")
        return cuts[q - 1] * 1000


async def load(
    n: int,
    concurrency: int,
    one: Callable[[int], Awaitable[None]],
    pids: Mapping[str, int],
    counters: Counters | None = None,
) -> Run:
    """`n` calls of `one(i)` with at most `concurrency` in flight; CPU of `pids` and
    `counters` around it."""
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

    counted = await counters() if counters is not None else {}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    cpu = {name: (cpu_seconds(pid) - before[name]) * 1000 / n for name, pid in pids.items()}
    after = await counters() if counters is not None else {}
    counts = {name: (after[name] - counted[name]) / n for name in counted}
    return Run(latencies, wall, cpu, counts)


def server_counters(nats_monitor: str, redis_url: str) -> Counters:
    """Messages NATS received and sent (/varz) and commands Redis processed (INFO stats)."""

    async def read() -> dict[str, float]:
        async with aiohttp.ClientSession() as http, http.get(f"{nats_monitor}/varz") as answer:
            varz = await answer.json()
        redis = aioredis.Redis.from_url(redis_url)
        try:
            stats = await redis.info("stats")
        finally:
            await redis.aclose()
        return {
            "nats msgs": float(varz["in_msgs"] + varz["out_msgs"]),
            "redis cmds": float(stats["total_commands_processed"]),
        }

    return read
