"""`LoggedProcess`: a child process whose output is kept and whose JSON log records can be
awaited, for tests that drive a service as a real process.

Every line of stdout and stderr is kept (`output()`); lines that are JSON objects are also
parsed into `records`, so a test can wait for an event such as `http_listening` instead of
sleeping. The child runs in its own session (signals reach its whole process group) and dies
with the thread that started it (see `lpgw.stack.process.die_with_parent`): start it from the
main thread or the event loop's thread, not from a short-lived worker.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from lpgw.stack.process import die_with_parent

POLL_S = 0.05
JOIN_S = 5.0


class EventMissing(AssertionError):
    """An awaited log record never came (an AssertionError, so pytest reports it as a failure)."""


class ExitedFirst(EventMissing):
    """The process exited without logging the awaited event."""


class EventTimedOut(EventMissing):
    """The process is still running but did not log the awaited event in time."""


class LoggedProcess:
    """`argv` as a child process with captured output; `env` None inherits this process's."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.popen: subprocess.Popen[str] = subprocess.Popen(
            [str(arg) for arg in argv],
            env=None if env is None else dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.records: list[dict[str, Any]] = []
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(pipe, sink), daemon=True)
            for pipe, sink in ((self.popen.stdout, self.stdout), (self.popen.stderr, self.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def __enter__(self) -> "LoggedProcess":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def _read(self, pipe: IO[str], sink: list[str]) -> None:
        for line in pipe:
            sink.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                self.records.append(record)

    def output(self) -> str:
        """Everything the process wrote so far: stdout, then stderr."""
        return "".join(self.stdout) + "".join(self.stderr)

    def record(self, event: str) -> dict[str, Any] | None:
        """The first record seen so far whose `event` field is `event`, if any."""
        return next((r for r in list(self.records) if r.get("event") == event), None)

    def wait_event(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first record with this event (seen so far or to come). Raises ExitedFirst or
        EventTimedOut, with the whole output, when it does not come."""
        deadline = time.monotonic() + timeout
        while (found := self._poll(event)) is None:
            if time.monotonic() > deadline:
                raise EventTimedOut(f"no {event!r} within {timeout} s:\n{self.output()}")
            time.sleep(POLL_S)
        return found

    async def until_event(self, event: str) -> dict[str, Any]:
        """`wait_event` for asyncio code, bounded by the caller (`asyncio.timeout`); the loop
        stays free while waiting. Raises ExitedFirst if the process exits first."""
        while True:
            found = await asyncio.to_thread(self._poll, event)
            if found is not None:
                return found
            await asyncio.sleep(POLL_S)

    def _poll(self, event: str) -> dict[str, Any] | None:
        exited = not self.running
        if exited:
            self.join()  # the last lines may still be in the pipes
        found = self.record(event)
        if found is None and exited:
            raise ExitedFirst(f"exited before {event!r}:\n{self.output()}")
        return found

    def join(self) -> None:
        """Wait for the readers to drain the pipes (they end when the process and any children
        holding the pipes are gone), then close the pipes."""
        for reader in self._readers:
            reader.join(timeout=JOIN_S)
        if any(reader.is_alive() for reader in self._readers):
            return
        for pipe in (self.popen.stdout, self.popen.stderr):
            if pipe is not None:
                pipe.close()

    def wait(self, timeout: float | None = 30.0) -> int:
        """The exit code, once the process has exited and its output is read."""
        code = self.popen.wait(timeout=timeout)
        self.join()
        return code

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM the process group, SIGKILL it after `timeout`; the exit code."""
        return self._end(signal.SIGTERM, timeout)

    def kill(self) -> int:
        """SIGKILL the process group at once (teardown, crash tests); the exit code."""
        return self._end(signal.SIGKILL, JOIN_S)

    def _end(self, sig: int, timeout: float) -> int:
        if self.running:
            self._signal_group(sig)
            try:
                return self.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
        return self.wait(None)

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
