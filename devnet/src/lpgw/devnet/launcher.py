"""Start a devnet as a child process and learn its URL from the ready line.

For test suites and demo scripts: the devnet is always its own process, as it is in use.
"""

import contextlib
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 8.0


PR_SET_PDEATHSIG = 1


class DevnetStartFailed(RuntimeError):
    """The process exited or stayed silent before printing its ready line."""


@dataclass
class RunningDevnet:
    url: str
    port: int
    address: str
    process: subprocess.Popen[bytes]
    log_path: Path
    byoc_worker_url: str | None = None
    """The built-in demo worker's URL, when `--byoc-capability` started one."""

    @property
    def tls(self) -> bool:
        return self.url.startswith("https://")

    def stop(self) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


def _child_environment() -> dict[str, str]:
    """The caller's environment minus DEVNET_* so only the given flags configure the child."""
    return {key: value for key, value in os.environ.items() if not key.startswith("DEVNET_")}


@dataclass(frozen=True)
class PendingDevnet:
    """A started process that has not printed its ready line yet."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def ready(self, timeout: float = READY_TIMEOUT_S) -> RunningDevnet:
        """Wait for the ready line; on failure the process is stopped."""
        stdout = self.process.stdout
        assert stdout is not None
        readable, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if readable else b""
        try:
            event = json.loads(line)
            if event.get("event") != "devnet_ready":
                raise ValueError("not a ready line")
        except ValueError as exc:
            RunningDevnet("", 0, "", self.process, self.log_path).stop()
            raise DevnetStartFailed(f"devnet did not start; see {self.log_path}") from exc
        return RunningDevnet(
            url=event["url"],
            port=int(event["port"]),
            address=event["address"],
            process=self.process,
            log_path=self.log_path,
            byoc_worker_url=event.get("byoc_worker"),
        )


def _die_with_parent() -> None:
    """Runs in the child: the kernel sends it SIGTERM when the test process dies, however."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn_devnet(args: Sequence[str], log_path: Path) -> PendingDevnet:
    """Run `python -m lpgw.devnet.main --port 0 *args`; stderr (JSON logs) goes to `log_path`.

    Spawn several, then wait for each, to start them in parallel.
    """
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "lpgw.devnet.main", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=log,
            env=_child_environment(),
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return PendingDevnet(process, log_path)


def start_devnet(
    args: Sequence[str], log_path: Path, timeout: float = READY_TIMEOUT_S
) -> RunningDevnet:
    return spawn_devnet(args, log_path).ready(timeout)


@contextlib.contextmanager
def start_fleet(
    flags: Mapping[str, Sequence[str]], log_dir: Path
) -> Iterator[dict[str, RunningDevnet]]:
    """Several devnets started in parallel (`{name: flags}`, logs in `log_dir/{name}.log`);
    every one is stopped when the block ends, including those that never got ready."""
    pending: dict[str, PendingDevnet] = {}
    running: dict[str, RunningDevnet] = {}
    try:
        for name, args in flags.items():
            pending[name] = spawn_devnet(args, log_dir / f"{name}.log")
        for name, spawned in pending.items():
            running[name] = spawned.ready()
        yield running
    finally:
        for name, spawned in pending.items():
            if name in running:
                running[name].stop()
            else:
                RunningDevnet("", 0, "", spawned.process, spawned.log_path).stop()
