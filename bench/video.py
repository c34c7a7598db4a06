"""Live video through the gateway: how many concurrent 2 s RTMP streams it sustains, the added
latency per segment, and the gateway's CPU per segment; then real transcoding through one
devnet orchestrator.

Phase 1 (capacity): NATS, Valkey, the five services and three passthrough devnet
orchestrators (every rendition is the input, so orchestrators cost little and the gateway is
what is measured; each takes 40 streams, the next are refused and moved on). Steps of N
concurrent RTMP publishers (bench/rtmp_publish.py, one event loop: a 360p H.264 + AAC test
pattern, a keyframe every 2 s, two renditions per stream), each publishing `--seconds` in real
time, started over 2 s so their segments do not all arrive at once. For every segment, from its
record: latency = delivered (renditions stored, in the playlist) − received (cut by intake
after its last frame arrived); "p99 2+" leaves out each stream's first segment, which also
pays for the stream's start (orchestrator info, payment session, certificate). A segment
misses its deadline when it was delivered as source only or later than its own duration. The
steps go up until one misses; the last step without a miss is the figure. CPU ms per segment
of every process comes from /proc.

Phase 2 (real transcoding): `POST /segment` straight to one devnet orchestrator running
libx264 (preset veryfast), 2 s 360p segments to 240p + 360p, at concurrency 1 and 2:
segments per second and the orchestrator's CPU per segment.

Run with `make bench-video` (`--steps 10,20,30` to choose the steps, `--profile DIR` for
py-spy profiles of every gateway process).
"""

import argparse
import asyncio
import io
import os
import statistics
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import aiohttp
import av
from lpgw.eth import keccak256
from lpgw.stack.ports import free_port
from lpgw.stack.process import Supervisor
from lpgw.stack.publisher import encode_test_pattern
from lpgw.stack.servers import start_nats, start_valkey
from lpgw.stack.topology import SERVICES, DevnetSpec, Ports, start_devnet, start_gateway
from lpgw.state import Keys, connect
from lpgw.video.profiles import DEFAULT_LADDER, presets
from lpgw.video.records import SegmentRecord
from lpgw.video.streams import VideoStreams
from lpgw.wire.client import OrchestratorClient
from lpgw.wire.headers import (
    PAYMENT_HEADER,
    SEGMENT_CONTENT_TYPE,
    SEGMENT_HEADER,
    encode_payment,
    encode_segment,
)
from lpgw.wire.orchestrator_request import build_orchestrator_request
from lpgw.wire.transcoding import transcode_segdata, transcoding_capabilities
from measure import Counters, cpu_seconds, server_counters
from profiles import profiled
from rtmp_publish import publish, read_flv

GATEWAY = ("intake", "session", "selector", "payment-signer", "delivery", "nats", "valkey")
SHORT = {"payment-signer": "signer"}
DEVNETS = ("devnet-a", "devnet-b", "devnet-c")
SESSIONS_PER_DEVNET = 40
"""Each passthrough orchestrator takes this many streams; the next ones are refused
(OrchestratorCapped) and the gateway moves them on, so the orchestrators share the load as a
network's would instead of one test process carrying every stream."""
PASSTHROUGH = ("--transcode-mode", "passthrough", "--max-sessions", str(SESSIONS_PER_DEVNET))


def stream_keys(step: int, n: int) -> dict[str, str]:
    return {f"b{step}s{i}": f"bench-key-{step}-{i}-0123456789" for i in range(n)}


async def records(streams: VideoStreams, ids: list[str]) -> list[SegmentRecord]:
    found: list[SegmentRecord] = []
    for stream_id in ids:
        found += await streams.segments(stream_id)
    return found


async def wait_ended(streams: VideoStreams, ids: list[str], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        states = [await streams.get(stream_id) for stream_id in ids]
        if all(s is not None and s.state == "ended" for s in states):
            return
        await asyncio.sleep(1.0)


def publish_all(rtmp: str, keys: list[str], flv: Path) -> list[BaseException]:
    """Every stream from one event loop, started evenly over 2 s."""
    host, port = rtmp.removeprefix("rtmp://").split("/")[0].split(":")
    tags = read_flv(flv)

    async def one(n: int, key: str) -> None:
        await asyncio.sleep(2.0 * n / max(len(keys), 1))
        await publish(host, int(port), "live", key, tags)

    async def every() -> list[BaseException]:
        results = await asyncio.gather(
            *(one(n, key) for n, key in enumerate(keys)), return_exceptions=True
        )
        return [r for r in results if isinstance(r, BaseException)]

    return asyncio.run(every())


def capacity(steps: list[int], seconds: float, profile_dir: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp) / "logs") as sup:
        data = Path(tmp)
        monitor = free_port("127.0.0.1")
        nats_url = start_nats(sup, data / "nats", monitor_port=monitor)
        redis_url = start_valkey(sup, data / "valkey")
        counters = server_counters(f"http://127.0.0.1:{monitor}", redis_url)
        orchestrators = [
            start_devnet(sup, DevnetSpec(name, price=1, flags=PASSTHROUGH)) for name in DEVNETS
        ]
        all_keys: dict[str, str] = {}
        for step, n in enumerate(steps):
            all_keys |= stream_keys(step, n)
        ports = Ports.free()
        gateway = start_gateway(
            sup,
            nats_url=nats_url,
            redis_url=redis_url,
            prefix="benchvideo",
            data_dir=data,
            ports=ports,
            orchestrators=orchestrators,
            stream_keys=all_keys,
            overrides={
                "intake": {"INTAKE_MAX_STREAMS": "1000", "INTAKE_RECONNECT_GRACE_S": "1"},
                "session": {"SESSION_VIDEO_MAX_STREAMS": "1000"},
            },
        )
        pids = {name: sup.child(name).pid or 0 for name in (*SERVICES, "nats", "valkey")}
        flv = encode_test_pattern(data / "pattern.flv", seconds=seconds)
        time.sleep(1.5)  # the selector's first probe
        print(
            f"\ncapacity: {seconds:g} s streams of 360p, 2 s segments, 2 renditions, "
            f"passthrough orchestrators, {os.cpu_count()} cores"
        )
        names = "".join(f"{SHORT.get(n, n):>9}" for n in GATEWAY)
        print(
            f"{'streams':>8}{'segments':>9}{'missed':>7}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'p99 2+':>8}{'max ms':>8}"
            f" | CPU ms/segment:{names}{'gateway':>9}{'client':>8}{'devnets':>8}"
            " | NATS msgs, Redis cmds"
        )
        best = 0
        for step, n in enumerate(steps):
            keys = stream_keys(step, n)
            devnets = {name: sup.child(name).pid or 0 for name in DEVNETS}
            devnets_before = sum(cpu_seconds(pid) for pid in devnets.values())
            before = {name: cpu_seconds(pid) for name, pid in pids.items() if pid}
            client_before = time.process_time()
            counted = asyncio.run(_count(counters))
            profiling: AbstractContextManager[None] = nullcontext()
            if profile_dir is not None:
                gateway_pids = {k: v for k, v in pids.items() if k in GATEWAY and v}
                profiling = profiled(gateway_pids, profile_dir / f"streams-{n}")
            with profiling:
                errors = publish_all(gateway.rtmp_url, list(keys.values()), flv)
            found = asyncio.run(_collect(redis_url, list(keys)))
            cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items() if pid}
            client = time.process_time() - client_before
            devnet_cpu = sum(cpu_seconds(pid) for pid in devnets.values()) - devnets_before
            after = asyncio.run(_count(counters))
            segments = max(len(found), 1)
            latencies = sorted((r.delivered_at - r.received_at) * 1000 for r in found)
            steady = sorted((r.delivered_at - r.received_at) * 1000 for r in found if r.seq > 0)
            missed = sum(
                1
                for r in found
                if not r.transcoded or (r.delivered_at - r.received_at) * 1000 > r.duration_ms
            )
            expected = n * int(seconds // 2)
            missed += max(0, expected - len(found))
            per = {name: cpu[name] * 1000 / segments for name in cpu}
            gateway_cpu = sum(per[name] for name in GATEWAY)
            row = "".join(f"{per[name]:>9.2f}" for name in GATEWAY)
            counts = {k: (after[k] - counted[k]) / segments for k in counted}
            print(
                f"{n:>8}{len(found):>9}{missed:>7}{_p(latencies, 50):>8.0f}"
                f"{_p(latencies, 99):>8.0f}{_p(steady, 99):>8.0f}{max(latencies or [0]):>8.0f}"
                f" | {'':15}{row}"
                f"{gateway_cpu:>9.2f}{client * 1000 / segments:>8.2f}"
                f"{devnet_cpu * 1000 / segments:>8.2f} | "
                f"{counts['nats msgs']:.1f}, {counts['redis cmds']:.1f}"
                + (f"  ({len(errors)} publishers failed)" if errors else "")
            )
            if missed or errors:
                break
            best = n
        print(f"\nsustained without a missed segment: {best} concurrent streams (aim 50)")


async def _count(counters: Counters) -> dict[str, float]:
    return await counters()


async def _collect(redis_url: str, ids: list[str]) -> list[SegmentRecord]:
    redis = await connect(redis_url)
    try:
        streams = VideoStreams(redis, Keys("benchvideo"), 3600)
        await wait_ended(streams, ids, within_s=60)
        return await records(streams, ids)
    finally:
        await redis.aclose()


def _p(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def transcoding(segments: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp) / "logs") as sup:
        data = Path(tmp)
        orchestrator = start_devnet(
            sup, DevnetSpec("devnet-x264", price=1, flags=("--no-payments",))
        )
        pid = sup.child("devnet-x264").pid or 0
        flv = encode_test_pattern(data / "p.flv", seconds=2 * 4 + 0.5)
        chunks = _segments(flv)
        print(
            f"\nreal transcoding through one devnet orchestrator (libx264), 2 s 360p "
            f"segments to {' + '.join(DEFAULT_LADDER)}"
        )
        print(
            f"{'concurrency':>12}{'segments/s':>12}{'wall s/segment':>16}"
            f"{'devnet CPU s/segment':>22}"
        )
        for concurrency in (1, 2):
            rate, wall, cpu = asyncio.run(
                _transcode(orchestrator, pid, chunks, segments, concurrency)
            )
            print(f"{concurrency:>12}{rate:>12.2f}{wall:>16.2f}{cpu:>22.2f}")


def _segments(flv: Path) -> list[bytes]:
    """2 s MPEG-TS segments of the pattern, cut at its keyframes (remux only)."""
    out: list[bytes] = []
    with av.open(str(flv)) as source:
        video = source.streams.video[0]
        buffer: io.BytesIO | None = None
        sink = None
        for packet in source.demux(video):
            if packet.dts is None:
                continue
            if packet.is_keyframe:
                if sink is not None and buffer is not None:
                    sink.close()
                    out.append(buffer.getvalue())
                buffer = io.BytesIO()
                sink = av.open(buffer, "w", format="mpegts")
                stream = sink.add_stream_from_template(video)
            if sink is not None:
                packet.stream = stream
                sink.mux(packet)
        if sink is not None and buffer is not None:
            sink.close()
    return [chunk for chunk in out if chunk]


async def _transcode(
    orchestrator: str, pid: int, chunks: list[bytes], n: int, concurrency: int
) -> tuple[float, float, float]:
    profiles = presets(DEFAULT_LADDER)
    caps = transcoding_capabilities("h264", profiles)
    request = build_orchestrator_request(b"", b"", caps)
    client = OrchestratorClient()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    walls: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http:

        async def worker() -> None:
            info = await client.get_orchestrator(orchestrator, request)
            while not queue.empty():
                i = queue.get_nowait()
                body = chunks[i % len(chunks)]
                seg = transcode_segdata(
                    info.auth_token.session_id,
                    i,
                    keccak256(body),
                    profiles,
                    2000,
                    info.auth_token,
                    caps,
                    None,
                )
                headers = {
                    SEGMENT_HEADER: encode_segment(seg),
                    PAYMENT_HEADER: encode_payment(None),
                    "Content-Type": SEGMENT_CONTENT_TYPE,
                }
                started = time.perf_counter()
                async with http.post(f"{info.transcoder}/segment", data=body, headers=headers) as r:
                    r.raise_for_status()
                    await r.read()
                walls.append(time.perf_counter() - started)

        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu_before
    return n / wall, statistics.mean(walls), cpu / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", default="10,20,30,40,50,60,70", help="concurrent streams")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each stream")
    parser.add_argument("--segments", type=int, default=20, help="real transcoding segments")
    parser.add_argument("--profile", type=Path, help="write py-spy profiles into this folder")
    args = parser.parse_args()
    capacity([int(n) for n in args.steps.split(",")], args.seconds, args.profile)
    transcoding(args.segments)


if __name__ == "__main__":
    main()
