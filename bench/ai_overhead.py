"""What the gateway adds to a batch AI request: latency, throughput and CPU, unpaid and paid,
for a small text-to-image and for a mixed workload of every pipeline.

One run starts NATS and Valkey, then two phases, each with the five services and one devnet
orchestrator (no added latency, capacity 64, streamed llm tokens `--token-delay-ms` apart):

- unpaid: the orchestrator takes no payment (`--no-payments`), so the gateway and a client
  talking to the orchestrator directly do the same work; both are measured;
- paid: the orchestrator checks every ticket as go-livepeer does; only the gateway is measured
  (a direct client has no key to pay with), which shows what paying costs.

The requests carry an API key without a rate limit, made for the run.

text-to-image (text_to_image.py): a 64×64 text-to-image and a GET of its image (from delivery
through the gateway, from the orchestrator directly), at concurrency 1, 8 and 32. Printed for
each: p50/p99 latency, requests/s, the added latency and the throughput ratio, and the CPU
milliseconds per request of every process (from /proc), the gateway's summed. `--profile DIR`
also records a py-spy profile of every gateway process during the concurrency-8 runs (see
profiles.py).

mixed (ai_mixed.py): every pipeline with inputs of realistic size, in the shares of
ai_workload.py, one llm share streamed. Unpaid, the idle gateway's CPU is measured for 3 s,
then the mix is sent interleaved through the gateway and then directly, then each kind alone at
the same concurrency, through the gateway and directly; paid, each kind alone through the
gateway. A process's CPU cannot be split between interleaved requests, so
each kind's gateway CPU per request is measured on its own run (mix_report.py). Printed: per
kind, requests, requests/s, p50/p99 through the gateway and directly, the added p50, gateway
CPU ms per request unpaid and paid, and a total row; then the runs alone process by process,
and every failed request (status and body).

Run with `make bench` (about 3.5 minutes on 2 cores). Options, each also an environment
variable so `make bench` takes it (`BENCH_MIX_REQUESTS=300 make bench`):

  --requests N / BENCH_REQUESTS             text-to-image requests at concurrency 1 (×2 at 8,
                                            ×4 at 32); default 200
  --size PX / BENCH_SIZE                    text-to-image width and height; default 64
  --mix-requests N / BENCH_MIX_REQUESTS     requests in the interleaved mix (each kind alone
                                            gets its share of N, at least the concurrency);
                                            default 400
  --mix-concurrency N / BENCH_MIX_CONCURRENCY   default 8
  --token-delay-ms MS / BENCH_TOKEN_DELAY_MS    devnet pause between streamed llm tokens;
                                            default 1 (the devnet's own default, 20, makes a
                                            128-token stream wait 2.6 s)
  --only WHAT / BENCH_ONLY                  `text-to-image` or `mixed`; default both
  --profile DIR                             py-spy profiles (text-to-image, concurrency 8)
"""

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import ai_mixed
import mix_report
import text_to_image
from ai_mixed import Measured
from ai_workload import Kind, kinds, mix
from lpgw.apikeys import ApiKeyStore
from lpgw.stack.ports import free_port
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_nats, start_valkey
from lpgw.stack.topology import SERVICES, DevnetSpec, Gateway, Ports, start_devnet, start_gateway
from lpgw.state import Keys, connect
from measure import Counters, server_counters


@dataclass(frozen=True)
class Options:
    requests: int
    size: int
    mix_requests: int
    mix_concurrency: int
    token_delay_ms: int
    text_to_image: bool
    mixed: bool
    profile: Path | None


async def unlimited_key(redis_url: str, prefix: str) -> str:
    """An API key without a rate limit: the benchmark measures the gateway, not its limiter."""
    redis = await connect(redis_url)
    try:
        _, key = await ApiKeyStore(redis, Keys(prefix)).create("bench", rate_per_minute=0)
    finally:
        await redis.aclose()
    return key.get_secret_value()


def start_phase(
    sup: Supervisor, data: Path, nats_url: str, redis_url: str, options: Options, *, paid: bool
) -> tuple[Gateway, str, dict[str, int]]:
    for name in SERVICES:  # the previous phase's gateway
        if sup.is_running(name):
            sup.stop(name)
    payments = "--payments" if paid else "--no-payments"
    name = "devnet-paid" if paid else "devnet-free"
    flags = ("--capacity", "64", "--llm-token-delay-ms", str(options.token_delay_ms), payments)
    orchestrator = start_devnet(sup, DevnetSpec(name, price=1000, flags=flags))
    prefix = "benchpaid" if paid else "benchfree"
    gateway = start_gateway(
        sup,
        nats_url=nats_url,
        redis_url=redis_url,
        prefix=prefix,
        data_dir=data,
        ports=Ports.free(),
        orchestrators=[orchestrator],
        api_key=asyncio.run(unlimited_key(redis_url, prefix)),
    )
    pids = {n: sup.child(n).pid or 0 for n in (*SERVICES, "nats", "valkey")}
    pids.update(devnet=sup.child(name).pid or 0, client=os.getpid())
    time.sleep(1.0)  # the selector's first probe
    return gateway, orchestrator, pids


async def phase(
    gateway: Gateway,
    orchestrator: str,
    pids: Mapping[str, int],
    counters: Counters,
    options: Options,
    workload: tuple[Kind, ...],
    *,
    paid: bool,
) -> tuple[text_to_image.Runs | None, Measured | None]:
    t2i = None
    if options.text_to_image:
        t2i = await text_to_image.measure(
            gateway,
            orchestrator,
            pids,
            counters,
            base=options.requests,
            size=options.size,
            paid=paid,
            profile_dir=options.profile,
        )
        text_to_image.report("paid" if paid else "unpaid", t2i, options.size, options.requests)
    measured = None
    if options.mixed:
        measured = await ai_mixed.measure(
            gateway,
            orchestrator,
            pids,
            counters,
            workload=workload,
            order=mix(workload, options.mix_requests),
            concurrency=options.mix_concurrency,
            paid=paid,
        )
    return t2i, measured


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def parse() -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=env_int("BENCH_REQUESTS", 200))
    parser.add_argument("--size", type=int, default=env_int("BENCH_SIZE", 64))
    parser.add_argument("--mix-requests", type=int, default=env_int("BENCH_MIX_REQUESTS", 400))
    parser.add_argument("--mix-concurrency", type=int, default=env_int("BENCH_MIX_CONCURRENCY", 8))
    parser.add_argument("--token-delay-ms", type=int, default=env_int("BENCH_TOKEN_DELAY_MS", 1))
    parser.add_argument(
        "--only", choices=("text-to-image", "mixed"), default=os.environ.get("BENCH_ONLY") or None
    )
    parser.add_argument("--profile", type=Path, help="write py-spy profiles into this folder")
    args = parser.parse_args()
    return Options(
        requests=args.requests,
        size=args.size,
        mix_requests=args.mix_requests,
        mix_concurrency=args.mix_concurrency,
        token_delay_ms=args.token_delay_ms,
        text_to_image=args.only in (None, "text-to-image"),
        mixed=args.only in (None, "mixed"),
        profile=args.profile,
    )


def main() -> None:
    options = parse()
    workload = kinds() if options.mixed else ()
    load = " / ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average at start {load} (1/5/15 min)")
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp) / "logs") as sup:
        data = Path(tmp)
        monitor = free_port("127.0.0.1")
        nats_url = start_nats(sup, data / "nats", monitor_port=monitor)
        redis_url = start_valkey(sup, data / "valkey")
        counters = server_counters(f"http://127.0.0.1:{monitor}", redis_url)
        t2i: dict[bool, text_to_image.Runs | None] = {}
        measured: dict[bool, Measured | None] = {}
        for paid in (False, True):
            gateway, orchestrator, pids = start_phase(
                sup, data, nats_url, redis_url, options, paid=paid
            )
            t2i[paid], measured[paid] = asyncio.run(
                phase(gateway, orchestrator, pids, counters, options, workload, paid=paid)
            )
    unpaid_t2i, paid_t2i = t2i[False], t2i[True]
    if unpaid_t2i is not None and paid_t2i is not None:
        text_to_image.aims(unpaid_t2i, paid_t2i)
    unpaid_mix, paid_mix = measured[False], measured[True]
    if unpaid_mix is not None and paid_mix is not None:
        mix_report.report(unpaid_mix, paid_mix, workload, options.mix_concurrency)


if __name__ == "__main__":
    main()
