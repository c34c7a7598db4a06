"""A devnet orchestrator for the selector's integration tests (stopped whatever happens)."""

from collections.abc import Iterator

import pytest
from lpgw.devnet.launcher import RunningDevnet, start_devnet


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """A TLS devnet pricing sdxl-turbo at 1000/3 wei per unit."""
    flags = ("--model-price", "stabilityai/sdxl-turbo=1000", "--pixels-per-unit", "3")
    started = start_devnet(flags, tmp_path_factory.mktemp("devnet") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()
