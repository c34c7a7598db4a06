"""End-to-end fixtures: the real services and devnet orchestrators as separate processes,
started with the same topology as `make run`, isolated per test by prefix and free ports."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lpgw.stack.process import Supervisor
from lpgw.stack.topology import DevnetSpec, Gateway, Ports, start_devnet, start_gateway

StartGateway = Callable[..., Gateway]


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Supervisor]:
    """This test's children; all stopped at the end of the test, pass or fail."""
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        yield supervisor


@pytest.fixture
def start(
    processes: Supervisor, nats_url: str, redis_url: str, prefix: str, tmp_path: Path
) -> StartGateway:
    """Start devnets, then the five services pointed at them; returns where they answer."""

    def _start(
        devnets: list[DevnetSpec],
        overrides: dict[str, dict[str, str]] | None = None,
        stream_keys: dict[str, str] | None = None,
    ) -> Gateway:
        urls = {spec.name: start_devnet(processes, spec) for spec in devnets}
        gateway = start_gateway(
            processes,
            nats_url=nats_url,
            redis_url=redis_url,
            prefix=prefix,
            data_dir=tmp_path / "data",
            ports=Ports.free(),
            orchestrators=list(urls.values()),
            stream_keys=stream_keys,
            overrides=overrides,
        )
        gateway.orchestrators = urls
        return gateway

    return _start
