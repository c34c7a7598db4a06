"""The orchestrator list served to the signer's discovery API: names, filter, health."""

from fractions import Fraction

import pytest
import redis.asyncio as aioredis
from lpgw.bus import Bus
from lpgw.bus.events import OrchestratorList, OrchestratorListRequest
from lpgw.devnet.launcher import RunningDevnet
from lpgw.selector.listing import Listing, capability_names, summaries
from lpgw.selector.orchestrators import ModelInfo, OrchestratorRecord
from lpgw.selector.probing import Prober
from lpgw.selector.store import OrchestratorStore
from lpgw.signer_client import OFF_CHAIN
from lpgw.state import Keys
from lpgw.wire.client import OrchestratorClient

T2I, I2I, H264 = 27, 28, 0
TURBO = "stabilityai/sdxl-turbo"
LIGHTNING = "ByteDance/SDXL-Lightning"
NOW = 1000.0


def _record(url: str, models: dict[int, list[str]], **kw: object) -> OrchestratorRecord:
    bitstring = sum(1 << cap for cap in {H264, *models})
    base: dict[str, object] = {
        "url": url,
        "transcoder": url,
        "address": "0x" + "ab" * 20,
        "bitstring": (bitstring,),
        "models": {cap: {m: ModelInfo(warm=True) for m in names} for cap, names in models.items()},
        "latency_ms": 20.0,
        "last_ok": NOW - 5,
    }
    base.update(kw)
    return OrchestratorRecord(**base)  # type: ignore[arg-type]


def test_capabilities_are_named_pipeline_slash_model() -> None:
    record = _record(
        "https://a:1",
        {T2I: [TURBO], I2I: [LIGHTNING]},
        prices={(T2I, LIGHTNING): Fraction(5)},
    )
    assert capability_names(record) == [
        f"image-to-image/{LIGHTNING}",
        f"text-to-image/{LIGHTNING}",
        f"text-to-image/{TURBO}",
    ]


def test_models_without_their_capability_bit_are_not_listed() -> None:
    record = _record("https://a:1", {T2I: [TURBO]}, bitstring=(1,))
    assert capability_names(record) == []


@pytest.mark.parametrize(
    ("caps", "urls"),
    [
        pytest.param([], ["https://a:1", "https://b:1"], id="no filter: everyone"),
        pytest.param([f"text-to-image/{TURBO}"], ["https://a:1"], id="one capability"),
        pytest.param(
            [f"text-to-image/{TURBO}", f"image-to-image/{LIGHTNING}"],
            ["https://a:1", "https://b:1"],
            id="any of several",
        ),
        pytest.param(["text-to-image/nobody/has"], [], id="unknown model: nobody"),
    ],
)
def test_filter_by_capabilities(caps: list[str], urls: list[str]) -> None:
    records = [
        _record("https://b:1", {I2I: [LIGHTNING]}),
        _record("https://a:1", {T2I: [TURBO]}),
    ]
    listed = summaries(records, caps, now=NOW, stale_after_s=60)
    assert [s.url for s in listed] == urls


def test_ok_says_whether_the_orchestrator_can_be_selected() -> None:
    records = [
        _record("https://fresh:1", {T2I: [TURBO]}),
        _record("https://stale:1", {T2I: [TURBO]}, last_ok=NOW - 600),
        _record("https://down:1", {T2I: [TURBO]}, last_failure=NOW - 1),
    ]
    listed = {s.url: s.ok for s in summaries(records, [], now=NOW, stale_after_s=60)}
    assert listed == {"https://down:1": False, "https://fresh:1": True, "https://stale:1": False}


@pytest.mark.integration
async def test_the_list_over_the_bus_names_the_probed_devnet(
    devnet: RunningDevnet, bus: Bus, redis: aioredis.Redis, prefix: str
) -> None:
    store = OrchestratorStore(redis, Keys(prefix))
    await Prober(OrchestratorClient(), store, [devnet.url], OFF_CHAIN).probe_all()
    listing = Listing(store, stale_after_s=60)
    await bus.serve(
        bus.names.orchestrator_list,
        bus.names.selector_queue,
        OrchestratorListRequest,
        listing.answer,
    )

    answer = await bus.request(
        bus.names.orchestrator_list,
        OrchestratorListRequest(caps=[f"text-to-image/{TURBO}"]),
        OrchestratorList,
        timeout=5.0,
    )
    [summary] = answer.orchestrators
    assert summary.url == devnet.url
    assert summary.address == devnet.address.lower()
    assert f"text-to-image/{TURBO}" in summary.capabilities
    assert summary.ok and summary.latency_ms is not None

    nobody = await bus.request(
        bus.names.orchestrator_list,
        OrchestratorListRequest(caps=["text-to-image/nobody/has"]),
        OrchestratorList,
        timeout=5.0,
    )
    assert nobody.orchestrators == []
