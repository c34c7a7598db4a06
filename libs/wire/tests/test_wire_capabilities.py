"""Capability ids, pipeline names, the sets a gateway sends, and compatibility (wire §6)."""

import subprocess
import sys

import pytest
from lpgw.wire.capabilities import (
    DEFAULT_CAPABILITIES,
    LEGACY_CAPABILITIES,
    Capability,
    ai_discovery_capabilities,
    ai_job_capabilities,
    capability_for_pipeline,
    decode_bitstring,
    encode_bitstring,
    is_compatible,
    model_constraint,
    model_price,
    pipeline_for_capability,
    supports_model,
)
from lpgw.wire.errors import UnknownPipeline
from lpgw.wire.net import lp_rpc_pb2 as pb

PIPELINES = [
    ("text-to-image", 27),
    ("image-to-image", 28),
    ("image-to-video", 29),
    ("upscale", 30),
    ("audio-to-text", 31),
    ("segment-anything-2", 32),
    ("llm", 33),
    ("image-to-text", 34),
    ("live-video-to-video", 35),
    ("text-to-speech", 36),
]


@pytest.mark.parametrize(("pipeline", "capability"), PIPELINES, ids=[p for p, _ in PIPELINES])
def test_pipeline_names_map_to_capability_ids(pipeline: str, capability: int) -> None:
    assert capability_for_pipeline(pipeline) == capability
    assert pipeline_for_capability(capability) == pipeline


@pytest.mark.parametrize("pipeline", ["Text-To-Image", "text_to_image", "byoc", "h.264", ""])
def test_unknown_pipelines_are_rejected(pipeline: str) -> None:
    with pytest.raises(UnknownPipeline):
        capability_for_pipeline(pipeline)


def test_transcoding_capabilities_have_no_pipeline() -> None:
    with pytest.raises(UnknownPipeline):
        pipeline_for_capability(Capability.H264)


def test_default_and_legacy_sets() -> None:
    assert encode_bitstring(DEFAULT_CAPABILITIES) == [67133439]
    assert sorted(LEGACY_CAPABILITIES) == list(range(12))


def test_negative_capabilities_never_go_on_the_wire() -> None:
    with pytest.raises(ValueError):
        encode_bitstring([Capability.INVALID])


def test_discovery_capabilities_find_cold_and_warm_orchestrators() -> None:
    caps = ai_discovery_capabilities(
        "text-to-image", "stabilityai/sdxl-turbo", runner_version="0.1.0", version="0.9.1"
    )
    assert decode_bitstring(caps.bitstring) == DEFAULT_CAPABILITIES | {27}
    assert dict(caps.capacities) == dict.fromkeys(DEFAULT_CAPABILITIES | {27}, 1)
    assert caps.version == "0.9.1"
    assert list(caps.constraints.PerCapability) == [27]
    model = caps.constraints.PerCapability[27].models["stabilityai/sdxl-turbo"]
    assert not model.warm
    assert model.runnerVersion == "0.1.0"


@pytest.mark.parametrize("warm", [True, False], ids=["warm-pool", "cold-pool"])
def test_job_capabilities_carry_only_the_pipeline(warm: bool) -> None:
    caps = ai_job_capabilities("llm", "meta-llama/Llama-3.1-8B-Instruct", warm=warm)
    assert decode_bitstring(caps.bitstring) == {33}
    assert dict(caps.capacities) == {33: 1}
    assert (
        caps.constraints.PerCapability[33].models["meta-llama/Llama-3.1-8B-Instruct"].warm is warm
    )


def orch(
    ids: list[int],
    models: dict[int, dict[str, tuple[bool, str]]] | None = None,
    version: str = "0.9.1",
    mandatories: list[int] | None = None,
) -> pb.Capabilities:
    caps = pb.Capabilities(
        bitstring=encode_bitstring(ids),
        mandatories=encode_bitstring(mandatories or []),
        version=version,
    )
    for capability, entries in (models or {}).items():
        for model_id, (warm, runner) in entries.items():
            entry = caps.constraints.PerCapability[capability].models[model_id]
            entry.warm, entry.runnerVersion = warm, runner
    return caps


SDXL = "stabilityai/sdxl-turbo"
AI_ORCH = orch([*DEFAULT_CAPABILITIES, 27], {27: {SDXL: (True, "0.2.0")}})
COLD_ORCH = orch([*DEFAULT_CAPABILITIES, 27], {27: {SDXL: (False, "0.2.0")}})


def job(runner: str = "", min_version: str = "") -> pb.Capabilities:
    return ai_discovery_capabilities(
        "text-to-image", SDXL, runner_version=runner, min_version=min_version
    )


def warm_job() -> pb.Capabilities:
    return ai_job_capabilities("text-to-image", SDXL, warm=True)


COMPATIBILITY = [
    pytest.param(job(), AI_ORCH, True, id="orchestrator offers the pipeline and model"),
    pytest.param(None, AI_ORCH, True, id="absent job capabilities ask for nothing"),
    pytest.param(job(), COLD_ORCH, True, id="cold orchestrator serves a job not requiring warm"),
    pytest.param(warm_job(), COLD_ORCH, False, id="warm requirement needs a warm model"),
    pytest.param(warm_job(), AI_ORCH, True, id="warm requirement met"),
    pytest.param(
        job(),
        orch([*DEFAULT_CAPABILITIES, 27], {27: {"other/model": (True, "")}}),
        False,
        id="model missing under the capability",
    ),
    pytest.param(
        job(), orch(list(DEFAULT_CAPABILITIES)), False, id="orchestrator lacks the pipeline bit"
    ),
    pytest.param(
        job(),
        orch([*DEFAULT_CAPABILITIES, 27]),
        True,
        id="no per-capability constraints on the orchestrator skips the model check",
    ),
    pytest.param(job(runner="0.2.0"), AI_ORCH, True, id="runner version equal to minimum"),
    pytest.param(job(runner="0.3.0"), AI_ORCH, False, id="runner version below minimum"),
    pytest.param(
        job(runner="0.2.0"),
        orch([*DEFAULT_CAPABILITIES, 27], {27: {SDXL: (True, "0.2.0-rc1")}}),
        True,
        id="pre-release suffix of the runner version is dropped",
    ),
    pytest.param(job(min_version="0.9.0"), AI_ORCH, True, id="orchestrator newer than minVersion"),
    pytest.param(job(min_version="0.9.2"), AI_ORCH, False, id="orchestrator older than minVersion"),
    pytest.param(
        job(min_version="0.9.0"),
        orch([*DEFAULT_CAPABILITIES, 27], version="undefined"),
        False,
        id="undefined orchestrator version fails a minVersion",
    ),
    pytest.param(
        job(min_version="0.9.0"),
        orch([*DEFAULT_CAPABILITIES, 27], version=""),
        False,
        id="empty orchestrator version fails a minVersion",
    ),
    pytest.param(
        warm_job(),
        orch([27], {27: {SDXL: (True, "")}}, mandatories=[27]),
        True,
        id="orchestrator mandatories present in the job",
    ),
    pytest.param(
        warm_job(),
        orch([27, 12], {27: {SDXL: (True, "")}}, mandatories=[12]),
        False,
        id="orchestrator mandatory missing from the job",
    ),
    pytest.param(
        pb.Capabilities(bitstring=encode_bitstring([1, 70])),
        orch(list(range(64))),
        False,
        id="job with more bitstring words than the orchestrator",
    ),
    pytest.param(
        pb.Capabilities(bitstring=encode_bitstring(LEGACY_CAPABILITIES)),
        None,
        True,
        id="orchestrator without capabilities serves legacy jobs",
    ),
    pytest.param(job(), None, False, id="orchestrator without capabilities cannot serve AI"),
]


@pytest.mark.parametrize(("job_caps", "orch_caps", "compatible"), COMPATIBILITY)
def test_compatibility(
    job_caps: pb.Capabilities | None, orch_caps: pb.Capabilities | None, compatible: bool
) -> None:
    assert is_compatible(job_caps, orch_caps) is compatible


def info_with(
    caps: pb.Capabilities, prices: list[pb.PriceInfo] | None = None
) -> pb.OrchestratorInfo:
    info = pb.OrchestratorInfo(transcoder="https://o.example:8935", capabilities_prices=prices)
    info.capabilities.CopyFrom(caps)
    return info


def test_supported_models_and_their_warm_flag() -> None:
    assert supports_model(info_with(AI_ORCH), "text-to-image", SDXL)
    constraint = model_constraint(info_with(COLD_ORCH), "text-to-image", SDXL)
    assert constraint is not None and not constraint.warm
    assert not supports_model(info_with(AI_ORCH), "text-to-image", "other/model")
    assert not supports_model(info_with(AI_ORCH), "image-to-image", SDXL)
    assert not supports_model(pb.OrchestratorInfo(transcoder="x"), "text-to-image", SDXL)


def test_model_price_comes_from_capabilities_prices() -> None:
    prices = [
        pb.PriceInfo(pricePerUnit=5, pixelsPerUnit=1, capability=27, constraint="other/model"),
        pb.PriceInfo(pricePerUnit=7, pixelsPerUnit=1, capability=27, constraint=SDXL),
        pb.PriceInfo(pricePerUnit=9, pixelsPerUnit=1, capability=28, constraint=SDXL),
    ]
    info = info_with(AI_ORCH, prices)
    price = model_price(info, "text-to-image", SDXL)
    assert price is not None and price.pricePerUnit == 7
    assert model_price(info, "upscale", SDXL) is None


def test_core_modules_load_no_io_library() -> None:
    code = (
        "import sys, lpgw.wire, lpgw.wire.capabilities, lpgw.wire.segdata, "
        "lpgw.wire.auth_token, lpgw.wire.headers, lpgw.wire.orchestrator_request\n"
        "print(','.join(m for m in ('grpc', 'ssl', 'socket', 'asyncio', 'cryptography') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
