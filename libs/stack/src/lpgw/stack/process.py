"""`Supervisor`: starts named child processes, waits until they are ready, stops them.

Children run in their own session (so a signal reaches their whole process group) and get
PR_SET_PDEATHSIG=SIGTERM, so they die even when the supervisor is SIGKILLed. The kernel sends
that signal when the *thread* that started the child exits: call `start` from a long-lived
thread (the main thread, or the event loop's thread), not from a short-lived worker.
"""

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from lpgw.stack.readiness import Probe

PR_SET_PDEATHSIG = 1
POLL_S = 0.05
TAIL_LINES = 30


class StackError(Exception):
    """A supervised process could not be started, or never became ready."""


class ChildExited(StackError):
    """The child exited before it became ready."""


class NotReady(StackError):
    """The child is running but did not become ready in time."""


@dataclass
class Child:
    """How to (re)start one child, and the running process if any."""

    name: str
    argv: list[str]
    env: dict[str, str] | None
    cwd: Path | None
    log: Path | None
    ready: Probe | None
    ready_timeout: float
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The end of the child's log, for error messages."""
        if self.log is None:
            return "(output not captured: inherited by the supervisor)"
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log written)"
        return "\n".join(text.splitlines()[-lines:])


def die_with_parent(parent_pid: int | None = None) -> Callable[[], None]:
    """A Popen `preexec_fn` giving the child PR_SET_PDEATHSIG=SIGTERM, so it dies with its
    parent (default: this process) even when that is SIGKILLed; see the module note on threads."""
    parent = os.getpid() if parent_pid is None else parent_pid
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class Supervisor:
    """Named child processes, stopped in reverse start order by `stop_all` or on `with` exit."""

    def __init__(self, log_dir: Path | None = None, base_env: Mapping[str, str] | None = None):
        """`log_dir`: where children log by default (else they inherit stdout/stderr).
        `base_env`: the environment children start from (default: this process's)."""
        self.log_dir = log_dir
        self._base_env = dict(os.environ if base_env is None else base_env)
        self._children: dict[str, Child] = {}

    def __enter__(self) -> "Supervisor":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def child(self, name: str) -> Child:
        return self._children[name]

    def is_running(self, name: str) -> bool:
        """Whether a child of this name was started and has not exited."""
        child = self._children.get(name)
        return child is not None and child.running

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log: Path | None = None,
        ready: Probe | None = None,
        ready_timeout: float = 30.0,
        wait: bool = True,
    ) -> Child:
        """Start `argv` as `name` (env entries override the base environment). With `wait`,
        block until `ready` holds; raise ChildExited/NotReady (with the log's tail) if not."""
        if name in self._children and self._children[name].running:
            raise StackError(f"{name} is already running")
        if log is None and self.log_dir is not None:
            log = self.log_dir / f"{name}.log"
        child = Child(
            name=name,
            argv=[str(arg) for arg in argv],
            env=dict(env) if env else None,
            cwd=cwd,
            log=log,
            ready=ready,
            ready_timeout=ready_timeout,
        )
        self._children.pop(name, None)
        self._children[name] = child
        self._spawn(child)
        if wait:
            self.wait_ready(name)
        return child

    def _spawn(self, child: Child) -> None:
        env = {**self._base_env, **(child.env or {})}
        if child.log is None:
            child.process = self._popen(child, env, None)
            return
        child.log.parent.mkdir(parents=True, exist_ok=True)
        with child.log.open("ab") as out:
            child.process = self._popen(child, env, out)

    def _popen(
        self, child: Child, env: dict[str, str], out: IO[bytes] | None
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            child.argv,
            env=env,
            cwd=child.cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )

    def wait_ready(self, name: str) -> None:
        """Block until the child's probe holds; on failure stop it and raise with its log tail."""
        child = self._children[name]
        deadline = time.monotonic() + child.ready_timeout
        while not self._check(child):
            if time.monotonic() > deadline:
                self.kill(name)
                raise NotReady(
                    f"{name} not ready after {child.ready_timeout:g}s; log tail:\n{child.tail()}"
                )
            time.sleep(POLL_S)

    async def until_ready(self, name: str) -> None:
        """`wait_ready` for asyncio code: probes run in a thread, the loop stays free."""
        child = self._children[name]
        deadline = time.monotonic() + child.ready_timeout
        while not await asyncio.to_thread(self._check, child):
            if time.monotonic() > deadline:
                self.kill(name)
                raise NotReady(
                    f"{name} not ready after {child.ready_timeout:g}s; log tail:\n{child.tail()}"
                )
            await asyncio.sleep(POLL_S)

    def _check(self, child: Child) -> bool:
        process = child.process
        if process is None:
            raise StackError(f"{child.name} is not started")
        code = process.poll()
        if code is not None:
            raise ChildExited(f"{child.name} exited with {code}; log tail:\n{child.tail()}")
        return child.ready is None or child.ready()

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Signal the child's process group, wait `timeout`, then SIGKILL. Returns its exit code."""
        process = self._children[name].process
        if process is None:
            return None
        if process.poll() is None:
            _signal_group(process, sig)
            try:
                return process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
        return process.wait()

    def kill(self, name: str) -> int | None:
        """SIGKILL the child's process group at once (crash tests)."""
        return self.stop(name, sig=signal.SIGKILL, timeout=10.0)

    def restart(self, name: str, wait: bool = True) -> Child:
        """Stop the child if running, then start it again with the same argv, env and log."""
        self.stop(name)
        child = self._children[name]
        self._spawn(child)
        if wait:
            self.wait_ready(name)
        return child

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every child, the last started first."""
        for name in reversed(list(self._children)):
            self.stop(name, timeout=timeout)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
