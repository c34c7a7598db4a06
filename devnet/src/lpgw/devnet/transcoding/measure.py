"""What one 2 s segment costs this devnet, for sizing load tests: `python -m
lpgw.devnet.transcoding.measure [--runs N] [--preset P] [--concurrency C]`.

Encodes test-pattern sources (H.264 + AAC, GOP 60 at 30 fps) with PyAV, then times the
devnet's own transcoding calls: wall time, and CPU time of the whole process (x264's threads
included). With `--concurrency` C, C segments run at once on C threads, as `--transcode-workers`
does. One JSON line per job on stdout.
"""

import argparse
import functools
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from lpgw.devnet.transcoding.passthrough import passthrough
from lpgw.devnet.transcoding.pattern import pattern_segment
from lpgw.devnet.transcoding.renditions import Rendition
from lpgw.devnet.transcoding.x264 import transcode
from lpgw.video.profiles import PRESETS, VideoProfile

Job = Callable[[bytes, Sequence[VideoProfile]], list[Rendition]]
JOBS: list[tuple[str, tuple[int, int], tuple[str, ...], str]] = [
    ("360p -> 240p", (640, 360), ("P240p30fps16x9",), "x264"),
    ("720p -> 240p + 360p", (1280, 720), ("P240p30fps16x9", "P360p30fps16x9"), "x264"),
    ("360p passthrough x2", (640, 360), ("P240p30fps16x9", "P360p30fps16x9"), "passthrough"),
    ("720p passthrough x2", (1280, 720), ("P240p30fps16x9", "P360p30fps16x9"), "passthrough"),
]


def measure(
    job: Job, source: bytes, profiles: Sequence[VideoProfile], runs: int, at_once: int
) -> dict[str, float]:
    """Median wall and CPU seconds per segment over `runs` rounds of `at_once` segments."""
    walls, cpus = [], []
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        job(source, profiles)  # warm up: codec tables, thread pools
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            list(pool.map(lambda _: job(source, profiles), range(at_once)))
            walls.append(time.perf_counter() - wall)
            cpus.append((time.process_time() - cpu) / at_once)
    return {
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s_per_segment": round(statistics.median(cpus), 3),
        "segments_per_s": round(at_once / statistics.median(walls), 2),
    }


def _x264(data: bytes, profiles: Sequence[VideoProfile], preset: str) -> list[Rendition]:
    return transcode(data, profiles, preset)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args(argv)
    for name, (width, height), names, mode in JOBS:
        source = pattern_segment(width, height, seconds=2.0, fps=30, gop_frames=60)
        profiles = [PRESETS[n] for n in names]
        x264: Job = functools.partial(_x264, preset=args.preset)
        job: Job = passthrough if mode == "passthrough" else x264
        figures = measure(job, source, profiles, args.runs, args.concurrency)
        line = {"job": name, "mode": mode, "preset": args.preset, "concurrency": args.concurrency}
        sys.stdout.write(json.dumps({**line, **figures}) + "\n")


if __name__ == "__main__":
    main()
