"""The selector against real NATS, Valkey and a devnet orchestrator."""

import asyncio
import socket
from fractions import Fraction
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from lpgw.bus import Bus
from lpgw.bus.events import Outcome, Outcomes, SelectionReply, SelectionRequest
from lpgw.devnet.launcher import RunningDevnet, start_devnet
from lpgw.selector.orchestrators import reachable
from lpgw.selector.probing import Prober
from lpgw.selector.selection import Selection
from lpgw.selector.store import OrchestratorStore
from lpgw.signer_client import OFF_CHAIN
from lpgw.state import Keys
from lpgw.wire.client import OrchestratorClient

pytestmark = pytest.mark.integration

T2I = 27
MODEL = "stabilityai/sdxl-turbo"


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{s.getsockname()[1]}"


def _ask(exclude: list[str] | None = None, model: str = MODEL) -> SelectionRequest:
    return SelectionRequest(
        capability=T2I,
        pipeline="text-to-image",
        model_id=model,
        exclude=exclude or [],
    )


async def test_probe_stores_what_the_devnet_offers(
    devnet: RunningDevnet, redis: aioredis.Redis, prefix: str
) -> None:
    store = OrchestratorStore(redis, Keys(prefix))
    dead = _closed_port_url()
    prober = Prober(OrchestratorClient(), store, [devnet.url, dead], OFF_CHAIN, timeout_s=3.0)

    await prober.probe_all()

    records = {r.url: r for r in await store.all()}
    good = records[devnet.url]
    assert good.transcoder.startswith("https://")
    assert good.address == devnet.address.lower()
    assert good.prices[(T2I, MODEL)] == Fraction(333)  # 1000/3 truncated to whole wei
    assert reachable(good, now=good.last_ok or 0, stale_after_s=None)
    assert not reachable(records[dead], now=records[dead].last_failure or 0, stale_after_s=None)
    assert records[dead].last_error


async def test_select_over_the_bus_answers_with_the_devnet(
    devnet: RunningDevnet, bus: Bus, redis: aioredis.Redis, prefix: str
) -> None:
    store = OrchestratorStore(redis, Keys(prefix))
    dead = _closed_port_url()
    await Prober(OrchestratorClient(), store, [devnet.url, dead], OFF_CHAIN).probe_all()
    selection = Selection(store, stale_after_s=60)
    await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, selection.select)

    reply = await bus.request(bus.names.select, _ask(), SelectionReply, timeout=5.0)
    assert [c.url for c in reply.candidates] == [devnet.url]
    assert reply.candidates[0].address == devnet.address.lower()

    excluded = await bus.request(
        bus.names.select, _ask(exclude=[devnet.url]), SelectionReply, timeout=5.0
    )
    assert excluded.candidates == []
    unknown = await bus.request(bus.names.select, _ask(model="nobody/has"), SelectionReply)
    assert unknown.candidates == []


async def test_a_model_an_orchestrator_starts_offering_is_selectable_at_its_next_probe(
    bus: Bus, redis: aioredis.Redis, prefix: str, tmp_path: Path
) -> None:
    """No restart of the selector, no configuration: the next probe learns the new model."""
    new_model = "acme/sdxl-nightly"
    port = _free_port()
    before = start_devnet(["--port", str(port)], tmp_path / "before.log")
    store = OrchestratorStore(redis, Keys(prefix))
    prober = Prober(OrchestratorClient(), store, [before.url], OFF_CHAIN, timeout_s=3.0)
    selection = Selection(store, stale_after_s=60)
    await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, selection.select)
    try:
        await prober.probe_all()
        unknown = await bus.request(bus.names.select, _ask(model=new_model), SelectionReply)
        assert unknown.candidates == []
    finally:
        before.stop()
    after = start_devnet(
        ["--port", str(port), "--models", f"{MODEL},{new_model}"],
        tmp_path / "after.log",
    )
    try:
        await prober.probe_all()
        offered = await bus.request(bus.names.select, _ask(model=new_model), SelectionReply)
        assert [c.url for c in offered.candidates] == [after.url]
    finally:
        after.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_outcomes_are_counted(bus: Bus, redis: aioredis.Redis, prefix: str) -> None:
    keys = Keys(prefix)
    selection = Selection(OrchestratorStore(redis, keys), stale_after_s=60)
    consumer = await bus.consume(
        stream=bus.names.outcomes_stream,
        durable=bus.names.selector_outcomes_consumer,
        filter_subject=bus.names.outcomes,
        model=Outcomes,
        handler=selection.on_outcomes,
    )
    try:
        outcomes = [
            Outcome(
                job_id=f"j{n}",
                workload="ai",
                pipeline="text-to-image",
                model_id=MODEL,
                orchestrator="https://o:1",
                ok=ok,
                latency_ms=100.0,
                error_kind=None if ok else kind,
                counts=kind != "busy",
            )
            for n, (ok, kind) in enumerate(
                ((True, ""), (False, "busy"), (False, "timeout"), (False, "orchestrator_error"))
            )
        ]
        await bus.publish(bus.names.outcome("ai"), Outcomes(outcomes=outcomes[:1]))
        await bus.publish(bus.names.outcome("ai"), Outcomes(outcomes=outcomes[1:]))
        store = OrchestratorStore(redis, keys)
        for _ in range(200):
            stats = (await store.stats(["https://o:1"], "text-to-image", MODEL))["https://o:1"]
            if stats.successes + stats.failures >= 3:
                break
            await asyncio.sleep(0.05)
        # "insufficient capacity" says the orchestrator is full, not broken: not held against it
        assert (stats.successes, stats.failures) == (1, 2)
        assert stats.success_rate < 0.6
    finally:
        await consumer.stop(2.0)
