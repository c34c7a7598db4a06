"""Supervised children: ready when they say so, gone when stopped, gone when we die."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from lpgw.stack.ports import free_port
from lpgw.stack.process import ChildExited, NotReady, Supervisor
from lpgw.stack.readiness import http_ok, log_line, port_open

PY = sys.executable


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_dead(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def sleeper(message: str = "ready") -> list[str]:
    return [PY, "-c", f"import time; print({message!r}, flush=True); time.sleep(60)"]


def test_stop_ends_the_child(tmp_path: Path) -> None:
    with Supervisor(log_dir=tmp_path) as sup:
        ready = log_line(tmp_path / "sleeper.log", "ready".__eq__)
        child = sup.start("sleeper", sleeper(), ready=ready)
        assert child.pid is not None and alive(child.pid)
        assert sup.stop("sleeper") == -signal.SIGTERM
        assert not alive(child.pid)


def test_leaving_the_context_stops_every_child(tmp_path: Path) -> None:
    with Supervisor(log_dir=tmp_path) as sup:
        pids = [sup.start(name, sleeper()).pid for name in ("a", "b", "c")]
    assert all(pid is not None and not alive(pid) for pid in pids)


def test_child_ignoring_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    stubborn = textwrap.dedent(
        """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    with Supervisor(log_dir=tmp_path) as sup:
        ready = log_line(tmp_path / "stubborn.log", "ready".__eq__)
        sup.start("stubborn", [PY, "-c", stubborn], ready=ready)
        assert sup.stop("stubborn", timeout=0.5) == -signal.SIGKILL


def test_child_exiting_before_ready_reports_its_log_tail(tmp_path: Path) -> None:
    crash = [PY, "-c", "import sys; print('bad config: no port', flush=True); sys.exit(3)"]
    with Supervisor(log_dir=tmp_path) as sup, pytest.raises(ChildExited) as error:
        sup.start("crasher", crash, ready=port_open(free_port()))
    assert "exited with 3" in str(error.value)
    assert "bad config: no port" in str(error.value)


def test_child_never_ready_times_out_and_is_stopped(tmp_path: Path) -> None:
    with Supervisor(log_dir=tmp_path) as sup:
        with pytest.raises(NotReady):
            sup.start("mute", sleeper(), ready=port_open(free_port()), ready_timeout=0.5)
        assert not sup.child("mute").running


def test_restart_and_kill(tmp_path: Path) -> None:
    port = free_port()
    server = [PY, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with Supervisor(log_dir=tmp_path) as sup:
        first = sup.start("web", server, cwd=tmp_path, ready=http_ok(f"http://127.0.0.1:{port}/"))
        old_pid = first.pid
        again = sup.restart("web")
        assert again.pid != old_pid and again.pid is not None
        assert old_pid is not None and not alive(old_pid)
        assert sup.kill("web") == -signal.SIGKILL
        assert not alive(again.pid)


def test_children_die_when_the_supervisor_is_sigkilled(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from lpgw.stack.process import Supervisor
        sup = Supervisor(log_dir=Path({str(tmp_path)!r}))
        child = sup.start("orphan", {sleeper()!r})
        print(child.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([PY, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert alive(child_pid)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(5)
        assert wait_until_dead(child_pid), "child outlived its SIGKILLed supervisor"
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
