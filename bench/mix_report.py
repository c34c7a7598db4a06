"""The mixed AI workload's tables: latency, throughput and gateway CPU per kind, beside the
direct path, and every failure seen.

The first table is the interleaved mix: each kind's latencies and throughput as they were in
it, with the gateway CPU per request measured when that kind ran alone (a process's CPU cannot
be split between interleaved requests); the total row's CPU is those figures weighted by the
kinds' shares, and the CPU measured over the interleaved mix is printed beside it. The second
table is the runs alone, with the CPU of every gateway process.
"""

import math
import os
from collections.abc import Mapping, Sequence

from ai_mixed import Measured, Tally
from ai_workload import Kind
from measure import GATEWAY, SHORT


def gateway_cpu(tally: Tally) -> float:
    """The gateway's CPU ms per completed request, its seven processes summed."""
    return sum(tally.per_request(name) for name in GATEWAY)


def weighted_cpu(alone: Mapping[str, Tally], workload: Sequence[Kind]) -> float:
    """Gateway CPU per request of the mix, from the kinds alone weighted by their shares."""
    kept = [k for k in workload if k.label in alone]
    total = sum(k.share for k in kept)
    return sum(gateway_cpu(alone[k.label]) * k.share for k in kept) / total if total else math.nan


def _ms(value: float, width: int = 8) -> str:
    return f"{value:>{width}.1f}" if not math.isnan(value) else f"{'-':>{width}}"


def mix_table(
    unpaid: Measured, paid: Measured | None, workload: Sequence[Kind], concurrency: int
) -> None:
    mix, direct = unpaid.mix, unpaid.mix_direct
    if mix is None or direct is None:
        return
    print(
        f"\nmixed AI workload, unpaid: {mix.n() + mix.failed()} requests of {len(workload)} "
        f"kinds interleaved at concurrency {concurrency}, {os.cpu_count()} cores"
    )
    print(
        "(latency and req/s: in the mix; gateway CPU per kind: that kind's own run at the same "
        "concurrency, unpaid and paid; total CPU: those weighted by share)"
    )
    print(
        f"{'kind':20}{'share':>6}{'reqs':>6}{'req/s':>8}{'direct':>8} |{'p50 ms':>8}{'p99 ms':>8}"
        f"{'dir p50':>8}{'dir p99':>8}{'added':>7} | {'gw CPU ms/req':>13}{'paid':>7} | failed"
    )
    for kind in workload:
        label = kind.label
        if label in unpaid.excluded:
            print(f"{label:20}{kind.share:>5}%  left out: {unpaid.excluded[label][:80]}")
            continue
        cpu = gateway_cpu(unpaid.alone[label]) if label in unpaid.alone else math.nan
        cpu_paid = _paid_cpu(paid, label)
        _row(label, f"{kind.share}%", mix, direct, label, cpu, cpu_paid)
    paid_total = weighted_cpu(paid.alone, workload) if paid is not None else math.nan
    _row("total", "100%", mix, direct, None, weighted_cpu(unpaid.alone, workload), paid_total)
    idle = idle_gateway(unpaid)
    print(
        f"gateway CPU measured over the interleaved mix itself: {gateway_cpu(mix):.2f} ms/request "
        f"unpaid, of which idle {idle / mix.rate():.2f}\nidle gateway: {idle:.1f} ms CPU/s "
        f"(timers, probes, heartbeats), in every figure as idle / requests/s (column `idle`)"
    )


def idle_gateway(measured: Measured) -> float:
    """The idle gateway's CPU ms per second, its processes summed."""
    return sum(measured.idle_ms_per_s.get(name, 0.0) for name in GATEWAY)


def _paid_cpu(paid: Measured | None, label: str) -> float:
    if paid is None or label not in paid.alone:
        return math.nan
    return gateway_cpu(paid.alone[label])


def _row(
    name: str,
    share: str,
    mix: Tally,
    direct: Tally,
    label: str | None,
    cpu: float,
    cpu_paid: float,
) -> None:
    added = mix.p(50, label) - direct.p(50, label)
    print(
        f"{name:20}{share:>6}{mix.n(label):>6}{mix.rate(label):>8.1f}{direct.rate(label):>8.1f} |"
        f"{_ms(mix.p(50, label))}{_ms(mix.p(99, label))}{_ms(direct.p(50, label))}"
        f"{_ms(direct.p(99, label))}{_ms(added, 7)} | {_ms(cpu, 13)}{_ms(cpu_paid, 7)} | "
        f"{mix.failed(label) + direct.failed(label)}"
    )


def alone_table(
    title: str,
    alone: Mapping[str, Tally],
    direct: Mapping[str, Tally],
    workload: Sequence[Kind],
    idle: float,
) -> None:
    """Each kind's own run: throughput, latency, CPU ms/request of every process (and of them
    the idle gateway's share), messages, and the bytes sent and received per request."""
    print(f"\n{title}")
    names = "".join(f"{SHORT.get(n, n):>9}" for n in GATEWAY)
    print(
        f"{'kind':20}{'reqs':>5}{'req/s':>7}{'direct':>7}{'p50':>7}{'dir p50':>8} | "
        f"CPU ms/req:{names}{'gateway':>9}{'idle':>6}{'devnet':>8} | {'NATS':>5}{'Redis':>6}"
        f"{'KB up':>7}{'KB down':>8}"
    )
    for kind in workload:
        run = alone.get(kind.label)
        if run is None:
            continue
        straight = direct.get(kind.label)
        rate = f"{straight.rate():>7.1f}" if straight else f"{'':>7}"
        p50 = _ms(straight.p(50)) if straight else f"{'':>8}"
        cpu = "".join(f"{run.per_request(n):>9.2f}" for n in GATEWAY)
        n = max(run.n(), 1)
        print(
            f"{kind.label:20}{run.n():>5}{run.rate():>7.1f}{rate}{_ms(run.p(50), 7)}{p50} | "
            f"{'':11}{cpu}{gateway_cpu(run):>9.2f}{idle / run.rate():>6.2f}"
            f"{run.per_request('devnet'):>8.2f} | "
            f"{run.counts.get('nats msgs', 0) / n:>5.0f}{run.counts.get('redis cmds', 0) / n:>6.0f}"
            f"{kind.make(0).upload_bytes / 1024:>7.0f}{run.received / n / 1024:>8.0f}"
        )


def failures(runs: Mapping[str, Tally | None], excluded: Mapping[str, str]) -> None:
    """Every failed request, by run, kind, status and body."""
    seen = [(where, f, c) for where, t in runs.items() if t for f, c in t.failures.items()]
    if not seen and not excluded:
        print("\nno request failed")
        return
    print("\nfailures (run, kind, status, count, body):")
    for label, reason in excluded.items():
        print(f"  {'first call':30} {label:20} left out of every run: {reason}")
    for where, (label, status, body), count in seen:
        print(f"  {where:30} {label:20} {status:>4} x{count:<4} {body[:160]}")


def report(unpaid: Measured, paid: Measured, workload: Sequence[Kind], c: int) -> None:
    """Every table of the mixed workload, then its failures."""
    mix_table(unpaid, paid, workload, c)
    alone_table(
        f"each kind alone at concurrency {c}, unpaid (gateway and direct)",
        unpaid.alone,
        unpaid.alone_direct,
        workload,
        idle_gateway(unpaid),
    )
    alone_table(
        f"each kind alone at concurrency {c}, paid (gateway)",
        paid.alone,
        {},
        workload,
        idle_gateway(paid),
    )
    failures(
        {
            "warm gw": unpaid.warm,
            "paid warm": paid.warm,
            "mix gateway": unpaid.mix,
            "mix direct": unpaid.mix_direct,
            **{f"alone gw {k}": t for k, t in unpaid.alone.items()},
            **{f"alone dir {k}": t for k, t in unpaid.alone_direct.items()},
            **{f"paid gw {k}": t for k, t in paid.alone.items()},
        },
        {**unpaid.excluded, **{f"{k} (paid)": v for k, v in paid.excluded.items()}},
    )
