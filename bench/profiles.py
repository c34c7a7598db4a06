"""py-spy profiles of running processes, and a plain-text summary of where each spent its time.

`with profiled(pids, folder):` samples every process (py-spy record, raw collapsed stacks)
while the block runs, then writes `<name>.txt` (the stacks, for flame-graph tools) and
`<name>.top.txt` (the functions with most samples, self and inclusive) into `folder`.
py-spy needs ptrace rights: root, or CAP_SYS_PTRACE.
"""

import collections
import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

SAMPLES_PER_S = 200
TOP = 30
_LINE = re.compile(r":\d+\)")


def py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy not found: it is in the dev dependencies (`make setup`)")
    return found


@contextlib.contextmanager
def profiled(pids: Mapping[str, int], folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    recorders = {
        name: subprocess.Popen(
            [
                *(py_spy(), "record", "-p", str(pid), "-o", str(folder / f"{name}.txt")),
                *("-f", "raw", "-r", str(SAMPLES_PER_S), "--nonblocking"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    }
    try:
        yield
    finally:
        for recorder in recorders.values():
            recorder.send_signal(signal.SIGINT)
        for recorder in recorders.values():
            recorder.wait(timeout=60)
    for name in pids:
        stacks = folder / f"{name}.txt"
        if stacks.exists():
            (folder / f"{name}.top.txt").write_text(summary(stacks))


def summary(stacks: Path) -> str:
    """Top functions by samples spent in them (self) and under them (inclusive)."""
    own: collections.Counter[str] = collections.Counter()
    under: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_LINE.sub(")", frame) for frame in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            under[frame] += n
    lines = [f"{total} samples", "", "self:"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(TOP)]
    lines += ["", "inclusive:"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in under.most_common(2 * TOP)]
    return "\n".join(lines) + "\n"
