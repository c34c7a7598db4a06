"""Start Python processes for tests and read their JSON log lines as they come."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import pytest


class Process:
    """A child process whose stdout/stderr are captured whole and whose stderr is parsed."""

    def __init__(self, args: list[str], env: Mapping[str, str], cwd: Path) -> None:
        self.popen = subprocess.Popen(
            args,
            env=dict(env),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.records: list[dict[str, Any]] = []
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.stdout, False)),
            threading.Thread(target=self._read, args=(self.popen.stderr, self.stderr, True)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()

    def _read(self, pipe: IO[str], sink: list[str], parse: bool) -> None:
        for line in pipe:
            sink.append(line)
            if parse:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    self.records.append(record)

    def wait_event(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first record with this event (seen so far or to come); fails on exit or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            exited = self.popen.poll() is not None
            if exited:
                self.join()
            for record in list(self.records):
                if record.get("event") == event:
                    return record
            if exited:
                raise AssertionError(f"exited before {event!r}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {event!r} within {timeout} s:\n{self.output()}")
            time.sleep(0.05)

    def join(self) -> None:
        for reader in self._readers:
            reader.join(timeout=5)
        for pipe in (self.popen.stdout, self.popen.stderr):
            if pipe is not None and not any(r.is_alive() for r in self._readers):
                pipe.close()

    def stop(self, timeout: float = 15.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait()
        self.join()
        return code

    def wait(self, timeout: float = 20.0) -> int:
        code = self.popen.wait(timeout=timeout)
        self.join()
        return code

    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)


@pytest.fixture
def python_process(tmp_path: Path) -> Iterator[Any]:
    """Factory: python_process(code, **env) runs `python -c code`; all are killed at teardown."""
    started: list[Process] = []

    def start(code: str, **env: str) -> Process:
        proc = Process([sys.executable, "-c", code], {**os.environ, **env}, tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.popen.poll() is None:
            proc.popen.kill()
            proc.popen.wait()
        proc.join()
