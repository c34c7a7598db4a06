"""The signer app in-process (httpx ASGITransport) and as a subprocess on a free port."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from lpgw.eth import PrivateKey
from lpgw.service.health import Readiness
from lpgw.signer.app import create_app
from lpgw.signer.auth import BearerAuth, token_digest
from lpgw.signer.signing import SigningService

TOKEN = "test-token-0123456789"


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def auth_header() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture
async def signer(key: PrivateKey) -> AsyncIterator[httpx.AsyncClient]:
    """An unauthenticated client of an in-process signer accepting TOKEN."""
    app = create_app(SigningService(key), BearerAuth([token_digest(TOKEN)]), Readiness())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signer") as client:
        yield client


class SignerProcess:
    """lpgw-payment-signer as a child process; stdout/stderr captured, stderr parsed as JSON."""

    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        script = Path(sys.executable).with_name("lpgw-payment-signer")
        args = [str(script)] if script.exists() else [sys.executable, "-m", "lpgw.signer.main"]
        self.popen = subprocess.Popen(
            args, env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self.records: list[dict[str, Any]] = []
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(pipe,), daemon=True)
            for pipe in (self.popen.stdout, self.popen.stderr)
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            self.lines.append(line)
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

    def url(self) -> str:
        listening = self.wait_event("http_listening")
        return f"http://127.0.0.1:{listening['port']}"

    def join(self) -> None:
        for reader in self._readers:
            reader.join(timeout=5)
        for pipe in (self.popen.stdout, self.popen.stderr):
            if pipe is not None and not any(r.is_alive() for r in self._readers):
                pipe.close()

    def wait(self, timeout: float = 30.0) -> int:
        code = self.popen.wait(timeout=timeout)
        self.join()
        return code

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.wait()

    def output(self) -> str:
        return "".join(self.lines)


@pytest.fixture
def start_signer(tmp_path: Path) -> Iterator[Callable[..., SignerProcess]]:
    """start_signer(**env): a signer on a free port (HTTP_PORT=0) with a tmp SIGNER_DATA_DIR."""
    started: list[SignerProcess] = []
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNER_", "HTTP_", "LPGW_"))}
    base.update(HTTP_PORT="0", SIGNER_DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="INFO")

    def start(**env: str) -> SignerProcess:
        proc = SignerProcess({**base, **env}, tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.popen.poll() is None:
            proc.popen.kill()
            proc.popen.wait()
        proc.join()
