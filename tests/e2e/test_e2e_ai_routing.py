"""How AI jobs are routed when orchestrators are full or slow: capacity refusals move on
without counting against the orchestrator, and the request's deadline holds."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from lpgw.bus import Bus, Names, Outcomes
from lpgw.bus.codec import decode
from lpgw.stack.topology import DevnetSpec, Gateway

TIMEOUT = httpx.Timeout(60.0)


def text_to_image(gateway: Gateway, seed: int) -> httpx.Response:
    body = {"prompt": "a quiet harbour", "width": 64, "height": 64, "seed": seed}
    return httpx.post(
        f"{gateway.intake_url}/text-to-image", json=body, headers=gateway.auth, timeout=TIMEOUT
    )


def until_selectable(gateway: Gateway) -> None:
    deadline = time.monotonic() + 30
    while text_to_image(gateway, 0).status_code != 200:
        assert time.monotonic() < deadline, "no orchestrator became selectable"
        time.sleep(0.5)


async def outcomes(nats_url: str, prefix: str) -> list[tuple[str, str | None, bool]]:
    """(orchestrator, error kind, counts) of every attempt so far."""
    names = Names(prefix)
    bus = await Bus.connect(nats_url, names, client_name="e2e-routing")
    try:
        await asyncio.sleep(0.5)  # the session publishes outcomes in batches
        found = []
        state = (await bus.js.stream_info(names.outcomes_stream)).state
        for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
            raw = await bus.js.get_msg(names.outcomes_stream, seq)
            batch = decode(Outcomes, raw.data or b"", raw.headers)
            found += [(o.orchestrator, o.error_kind, o.counts) for o in batch.outcomes]
        return found
    finally:
        await bus.close()


def test_a_full_orchestrator_passes_the_job_on_without_a_mark(
    start, nats_url: str, prefix: str
) -> None:
    gateway = start(
        [
            # cheapest, so tried first, but one job at a time and slow
            DevnetSpec("small", price=1, flags=("--capacity", "1", "--latency-ms", "2500")),
            DevnetSpec("roomy", price=50),
        ]
    )
    until_selectable(gateway)
    small, roomy = gateway.orchestrators["small"], gateway.orchestrators["roomy"]
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda seed: text_to_image(gateway, seed), [1, 2, 3]))

    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    served_by = sorted(a.headers["x-orchestrator-url"] for a in answers)
    assert small in served_by and roomy in served_by
    attempts = asyncio.run(outcomes(nats_url, prefix))
    busy = [a for a in attempts if a[1] == "busy"]
    assert busy and all(orch == small and not counts for orch, _, counts in busy)


def test_the_request_deadline_holds_however_slow_the_orchestrator(start) -> None:
    gateway = start(
        [DevnetSpec("slow", price=1, flags=("--latency-ms", "20000"))],
        overrides={"intake": {"INTAKE_REQUEST_TIMEOUT_S": "4"}},
    )
    started = time.monotonic()
    response = text_to_image(gateway, 5)
    took = time.monotonic() - started

    assert response.status_code in (503, 504), response.text
    assert took < 8
    assert response.json()["error"]["message"]
