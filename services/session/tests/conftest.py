"""Devnet orchestrators for the session's integration tests (stopped whatever happens).

They run off-chain (`--no-payments`): these tests pay with the off-chain behaviour or a stub
signer; real payments are covered end to end (tests/e2e/test_e2e_payments.py).
"""

from collections.abc import Iterator

import pytest
from lpgw.devnet.launcher import RunningDevnet, start_devnet

OFF_CHAIN = ("--no-payments",)


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """A healthy TLS devnet that takes no payment."""
    started = start_devnet(OFF_CHAIN, tmp_path_factory.mktemp("devnet") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def failing_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """A plain-HTTP devnet whose every job fails with 500."""
    flags = (*OFF_CHAIN, "--plain", "--failure-rate", "1")
    started = start_devnet(flags, tmp_path_factory.mktemp("failing") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def unreachable_service_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """Answers GetOrchestrator, but its service URI names a host nobody listens on, so the
    job request never leaves the gateway. Its `url` names that host too: use its port."""
    flags = (*OFF_CHAIN, "--plain", "--service-host", "127.0.0.2")
    started = start_devnet(flags, tmp_path_factory.mktemp("unreachable") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()
