"""Every service reconnects by itself when NATS or Redis restart: a request after the restart
of both servers succeeds without touching the services."""

import time
from pathlib import Path

import httpx
import pytest
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_nats, start_valkey
from lpgw.stack.topology import DevnetSpec, Gateway, Ports, start_devnet, start_gateway

pytestmark = pytest.mark.integration


def text_to_image(gateway: Gateway, seed: int) -> httpx.Response:
    body = {"prompt": "a harbour at night", "width": 64, "height": 64, "seed": seed}
    return httpx.post(
        f"{gateway.intake_url}/text-to-image", json=body, headers=gateway.auth, timeout=60
    )


def until_ok(gateway: Gateway, seed: int, within_s: float) -> httpx.Response:
    """Retry while the services reconnect; the last answer if none succeeded in time."""
    deadline = time.monotonic() + within_s
    while True:
        response = text_to_image(gateway, seed)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(1.0)


def test_services_carry_on_after_nats_and_redis_restart(
    processes: Supervisor, tmp_path: Path
) -> None:
    nats_url = start_nats(processes, tmp_path / "nats", name="own-nats")
    redis_url = start_valkey(processes, tmp_path / "valkey", name="own-valkey")
    orchestrator = start_devnet(processes, DevnetSpec("orch", price=1000))
    gateway = start_gateway(
        processes,
        nats_url=nats_url,
        redis_url=redis_url,
        prefix="restarts",
        data_dir=tmp_path / "data",
        ports=Ports.free(),
        orchestrators=[orchestrator],
    )
    assert until_ok(gateway, seed=1, within_s=30).status_code == 200

    processes.restart("own-nats")
    processes.restart("own-valkey")

    response = until_ok(gateway, seed=2, within_s=60)
    assert response.status_code == 200, response.text
    media = httpx.get(response.json()["images"][0]["url"], timeout=30)
    assert media.status_code == 200
    assert media.headers["content-type"] == "image/png"
