"""Devnet orchestrators for the session's integration tests (stopped whatever happens)."""

from collections.abc import Iterator

import pytest
from lpgw.devnet.launcher import RunningDevnet, start_devnet


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """A healthy TLS devnet (price 0: no payment needed)."""
    started = start_devnet((), tmp_path_factory.mktemp("devnet") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def failing_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """A plain-HTTP devnet whose every job fails with 500."""
    flags = ("--plain", "--failure-rate", "1")
    started = start_devnet(flags, tmp_path_factory.mktemp("failing") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()
