"""A text-to-image request through the whole gateway: intake, selector, session,
payment-signer and delivery as separate processes, devnet orchestrators on the wire."""

import asyncio
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from lpgw.bus import Bus, Names, Outcomes
from lpgw.bus.codec import decode
from lpgw.stack.process import Supervisor
from lpgw.stack.topology import DevnetSpec, Gateway
from PIL import Image

pytestmark = pytest.mark.integration

TIMEOUT = httpx.Timeout(90.0)


def text_to_image(gateway: Gateway, **body: object) -> httpx.Response:
    payload = {"prompt": "a lighthouse at dawn", **body}
    return httpx.post(
        f"{gateway.intake_url}/text-to-image",
        json=payload,
        headers=gateway.auth,
        timeout=TIMEOUT,
    )


def wait_until_probed(gateway: Gateway, orchestrators: list[str]) -> None:
    """Until the selector lists every orchestrator (no request is sent to any of them)."""
    token = gateway.signer_token_file.read_text().strip()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = httpx.get(
            f"{gateway.signer_url}/discover-orchestrators",
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        if listed.status_code == 200 and {o["address"] for o in listed.json()} >= set(
            orchestrators
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"the selector did not list {orchestrators} within 30 s")


def wait_until_selectable(gateway: Gateway) -> None:
    """The selector probes at start; the first request may race it, so retry briefly."""
    deadline = time.monotonic() + 30
    while True:
        response = text_to_image(gateway, width=64, height=64)
        if response.status_code == 200 or time.monotonic() > deadline:
            return
        time.sleep(0.5)


def test_request_returns_url_of_png_of_requested_size(start) -> None:
    gateway = start([DevnetSpec("orch", price=1000)])
    wait_until_selectable(gateway)

    response = text_to_image(gateway, width=320, height=192, seed=11)

    assert response.status_code == 200, response.text
    images = response.json()["images"]
    assert len(images) == 1
    assert images[0]["seed"] == 11
    media = httpx.get(images[0]["url"], timeout=TIMEOUT)
    assert media.status_code == 200
    assert media.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(media.content))
    assert picture.format == "PNG"
    assert picture.size == (320, 192)


async def attempts_of(nats_url: str, prefix: str, job_id: str) -> list[tuple[str, bool]]:
    """(orchestrator, ok) of every attempt of the job, from the OUTCOMES stream (the session
    publishes them in batches, within a fraction of a second)."""
    names = Names(prefix)
    bus = await Bus.connect(nats_url, names, client_name="e2e-outcomes")
    try:
        for _ in range(50):
            found: list[tuple[str, bool]] = []
            state = (await bus.js.stream_info(names.outcomes_stream)).state
            for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
                raw = await bus.js.get_msg(names.outcomes_stream, seq)
                batch = decode(Outcomes, raw.data or b"", raw.headers)
                found += [(o.orchestrator, o.ok) for o in batch.outcomes if o.job_id == job_id]
            if any(ok for _, ok in found):
                return found
            await asyncio.sleep(0.1)
        return found
    finally:
        await bus.close()


def test_failing_orchestrator_makes_job_land_on_the_other(
    start: Callable[..., Gateway], nats_url: str, prefix: str
) -> None:
    gateway = start(
        [
            DevnetSpec("broken", price=500, flags=("--failure-rate", "1.0")),
            DevnetSpec("healthy", price=4000),
        ]
    )
    broken, healthy = gateway.orchestrators["broken"], gateway.orchestrators["healthy"]
    wait_until_probed(gateway, [broken, healthy])

    response = text_to_image(gateway, width=128, height=128, seed=1)

    assert response.status_code == 200, response.text
    assert response.headers["x-orchestrator-url"] == healthy
    job_id = response.headers["x-request-id"]
    # The cheaper orchestrator was tried first and failed: the job failed over, it did not
    # simply go to the healthy one.
    assert asyncio.run(attempts_of(nats_url, prefix, job_id)) == [
        (broken, False),
        (healthy, True),
    ]


def test_job_survives_session_killed_mid_flight(start, processes: Supervisor) -> None:
    gateway = start(
        [DevnetSpec("slow", price=1000, flags=("--latency-ms", "3000"))],
        overrides={"session": {"SESSION_ACK_WAIT_S": "4"}},
    )
    wait_until_selectable(gateway)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(text_to_image, gateway, width=96, height=96, seed=5)
        time.sleep(1.5)  # the session has taken the job and is waiting on the orchestrator
        processes.kill("session")
        processes.restart("session")
        response = pending.result(timeout=120)

    assert response.status_code == 200, response.text
    media = httpx.get(response.json()["images"][0]["url"], timeout=TIMEOUT)
    assert Image.open(io.BytesIO(media.content)).size == (96, 96)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(b"{not json", 400, id="malformed JSON is a 400"),
        pytest.param(b'{"width": 512}', 422, id="missing prompt is a 422"),
        pytest.param(b'{"prompt": "x", "width": "wide"}', 422, id="non-integer width is a 422"),
    ],
)
def test_malformed_request_gets_4xx_with_message(start, body: bytes, status: int) -> None:
    gateway = start([DevnetSpec("orch", price=1000)])

    response = httpx.post(
        f"{gateway.intake_url}/text-to-image",
        content=body,
        headers={"Content-Type": "application/json", **gateway.auth},
        timeout=TIMEOUT,
    )

    assert response.status_code == status
    message = response.json()["error"]["message"]
    assert isinstance(message, str) and message
