"""Start Python processes for tests and read their JSON log lines as they come."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lpgw.stack.logged import LoggedProcess


@pytest.fixture
def python_process(tmp_path: Path) -> Iterator[Any]:
    """Factory: python_process(code, **env) runs `python -c code`; all are killed at teardown."""
    started: list[LoggedProcess] = []

    def start(code: str, **env: str) -> LoggedProcess:
        proc = LoggedProcess([sys.executable, "-c", code], {**os.environ, **env}, tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
