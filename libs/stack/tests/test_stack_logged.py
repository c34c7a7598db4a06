"""A logged child process: its JSON records can be awaited, its output is kept, and it is gone
when stopped, killed, left, or when its parent dies."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from lpgw.stack.logged import EventTimedOut, ExitedFirst, LoggedProcess

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


def python(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def test_records_from_both_streams_can_be_awaited() -> None:
    code = """
        import json, sys, time
        print("plain text", flush=True)
        print(json.dumps({"event": "out", "n": 1}), flush=True)
        time.sleep(0.3)
        print(json.dumps({"event": "err", "n": 2}), file=sys.stderr, flush=True)
        print("[1, 2]", file=sys.stderr, flush=True)
        time.sleep(60)
    """
    with LoggedProcess(python(code)) as proc:
        assert proc.wait_event("err", timeout=10) == {"event": "err", "n": 2}
        assert proc.wait_event("out", timeout=0) == {"event": "out", "n": 1}
        assert proc.record("missing") is None
        assert proc.stdout[0] == "plain text\n"
        assert [r["event"] for r in proc.records] == ["out", "err"]
        assert "plain text" in proc.output() and "[1, 2]" in proc.output()


def test_environment_and_working_directory(tmp_path: Path) -> None:
    code = """
        import json, os
        print(json.dumps({"event": "env", "value": os.environ["LOGGED_X"], "cwd": os.getcwd()}))
    """
    proc = LoggedProcess(python(code), env={**os.environ, "LOGGED_X": "42"}, cwd=tmp_path)
    assert proc.wait() == 0
    assert proc.wait_event("env") == {"event": "env", "value": "42", "cwd": str(tmp_path)}


def test_exiting_without_the_event_fails_with_the_output() -> None:
    proc = LoggedProcess(python("import sys; print('no port configured'); sys.exit(3)"))
    with pytest.raises(ExitedFirst, match="no port configured"):
        proc.wait_event("http_listening", timeout=10)
    assert proc.wait() == 3


def test_a_missing_event_times_out_with_the_output() -> None:
    with LoggedProcess(
        python("print('starting', flush=True); import time; time.sleep(60)")
    ) as proc:
        with pytest.raises(EventTimedOut, match="starting"):
            proc.wait_event("never", timeout=1)
        assert proc.running


async def test_until_event_waits_without_blocking_the_loop() -> None:
    code = """
        import json, time
        time.sleep(0.3)
        print(json.dumps({"event": "ready", "port": 1234}), flush=True)
        time.sleep(60)
    """
    with LoggedProcess(python(code)) as proc:
        async with asyncio.timeout(10):
            assert (await proc.until_event("ready"))["port"] == 1234
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await proc.until_event("never")
    proc = LoggedProcess(python("print('bad config')"))
    with pytest.raises(ExitedFirst, match="bad config"):
        await proc.until_event("ready")


def test_stop_terminates_the_whole_group() -> None:
    code = f"""
        import json, subprocess, time
        grandchild = subprocess.Popen([{PY!r}, "-c", "import time; time.sleep(60)"])
        print(json.dumps({{"event": "spawned", "pid": grandchild.pid}}), flush=True)
        time.sleep(60)
    """
    proc = LoggedProcess(python(code))
    grandchild = proc.wait_event("spawned", timeout=10)["pid"]
    assert proc.stop() == -signal.SIGTERM
    assert wait_until_dead(grandchild)
    assert not proc.running


def test_a_process_ignoring_sigterm_is_killed_after_the_timeout() -> None:
    code = """
        import json, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(json.dumps({"event": "ignoring"}), flush=True)
        time.sleep(60)
    """
    proc = LoggedProcess(python(code))
    proc.wait_event("ignoring", timeout=10)
    assert proc.stop(timeout=0.5) == -signal.SIGKILL


def test_a_clean_shutdown_returns_its_exit_code() -> None:
    code = """
        import json, signal, sys, time
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        print(json.dumps({"event": "up"}), flush=True)
        time.sleep(60)
    """
    proc = LoggedProcess(python(code))
    proc.wait_event("up", timeout=10)
    assert proc.stop() == 0
    assert proc.stop() == 0, "stopping again is harmless"


def test_leaving_the_context_kills_it() -> None:
    with LoggedProcess(python("import time; time.sleep(60)")) as proc:
        pid = proc.pid
    assert not alive(pid)
    assert proc.popen.returncode == -signal.SIGKILL


def test_it_dies_when_its_parent_is_sigkilled() -> None:
    script = textwrap.dedent(
        f"""
        import time
        from lpgw.stack.logged import LoggedProcess
        child = LoggedProcess([{PY!r}, "-c", "import time; time.sleep(60)"])
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
        assert wait_until_dead(child_pid), "child outlived its SIGKILLed parent"
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


def test_undecodable_output_does_not_stop_the_readers() -> None:
    code = """
        import json, sys
        sys.stdout.buffer.write(b"\\xff\\xfe broken\\n")
        print(json.dumps({"event": "after"}), flush=True)
    """
    proc = LoggedProcess(python(code))
    assert proc.wait() == 0
    assert proc.wait_event("after") == {"event": "after"}
    assert json.loads(proc.stdout[-1]) == {"event": "after"}
