"""Capabilities: ids, pipeline names, the bitstring form and the sets gateways send (wire §6).

Pure: protobuf messages in, protobuf messages or plain values out.
"""

from collections.abc import Iterable, Sequence
from enum import IntEnum

from lpgw.wire.errors import UnknownPipeline
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.versions import version_at_least

GATEWAY_VERSION = "0.1.0"
"""What lpgw puts in `Capabilities.version`; orchestrators do not check it."""


class Capability(IntEnum):
    """Capability ids as go-livepeer numbers them (only 0 and up go on the wire)."""

    INVALID = -2
    UNUSED = -1
    H264 = 0
    MPEGTS = 1
    MP4 = 2
    FRACTIONAL_FRAMERATES = 3
    STORAGE_DIRECT = 4
    STORAGE_S3 = 5
    STORAGE_GCS = 6
    PROFILE_H264_BASELINE = 7
    PROFILE_H264_MAIN = 8
    PROFILE_H264_HIGH = 9
    PROFILE_H264_CONSTRAINED_HIGH = 10
    GOP = 11
    AUTH_TOKEN = 12
    SCENE_CLASSIFICATION = 13
    MPEG7_VIDEO_SIGNATURE = 14
    HEVC_DECODE = 15
    HEVC_ENCODE = 16
    VP8_DECODE = 17
    VP9_DECODE = 18
    VP8_ENCODE = 19
    VP9_ENCODE = 20
    H264_DECODE_444_8BIT = 21
    H264_DECODE_422_8BIT = 22
    H264_DECODE_444_10BIT = 23
    H264_DECODE_422_10BIT = 24
    H264_DECODE_420_10BIT = 25
    SEGMENT_SLICING = 26
    TEXT_TO_IMAGE = 27
    IMAGE_TO_IMAGE = 28
    IMAGE_TO_VIDEO = 29
    UPSCALE = 30
    AUDIO_TO_TEXT = 31
    SEGMENT_ANYTHING_2 = 32
    LLM = 33
    IMAGE_TO_TEXT = 34
    LIVE_VIDEO_TO_VIDEO = 35
    TEXT_TO_SPEECH = 36
    BYOC = 37


AI_DISPLAY_NAMES: dict[Capability, str] = {
    Capability.TEXT_TO_IMAGE: "Text to image",
    Capability.IMAGE_TO_IMAGE: "Image to image",
    Capability.IMAGE_TO_VIDEO: "Image to video",
    Capability.UPSCALE: "Upscale",
    Capability.AUDIO_TO_TEXT: "Audio to text",
    Capability.SEGMENT_ANYTHING_2: "Segment anything 2",
    Capability.LLM: "Llm",
    Capability.IMAGE_TO_TEXT: "Image to text",
    Capability.LIVE_VIDEO_TO_VIDEO: "Live video to video",
    Capability.TEXT_TO_SPEECH: "Text to speech",
}
"""go-livepeer display names of the capabilities that have a pipeline string."""

DEFAULT_CAPABILITIES: frozenset[Capability] = frozenset(map(Capability, [*range(13), 14, 26]))
"""Advertised by orchestrators without a transcoder; part of every AI discovery request."""

LEGACY_CAPABILITIES: frozenset[Capability] = frozenset(Capability(n) for n in range(12))
"""What an orchestrator that sends no capabilities is assumed to support."""


def capability_for_pipeline(pipeline: str) -> Capability:
    """go-livepeer's rule: upper-case the first letter, `-` becomes a space, match the name."""
    name = pipeline[:1].upper() + pipeline[1:].replace("-", " ")
    for capability, display in AI_DISPLAY_NAMES.items():
        if display == name:
            return capability
    raise UnknownPipeline(f"unknown pipeline {pipeline!r}")


def pipeline_for_capability(capability: int) -> str:
    """The pipeline string of an AI capability id (the inverse of `capability_for_pipeline`)."""
    try:
        display = AI_DISPLAY_NAMES[Capability(capability)]
    except (ValueError, KeyError) as exc:
        raise UnknownPipeline(f"capability {capability} has no pipeline") from exc
    return display[:1].lower() + display[1:].replace(" ", "-")


def encode_bitstring(capabilities: Iterable[int]) -> list[int]:
    """Capability n sets bit n mod 64 of uint64 word n div 64."""
    words: list[int] = []
    for capability in capabilities:
        if capability < 0:
            raise ValueError(f"capability {capability} never goes on the wire")
        word, bit = divmod(capability, 64)
        words.extend([0] * (word + 1 - len(words)))
        words[word] |= 1 << bit
    return words


def decode_bitstring(words: Sequence[int]) -> frozenset[int]:
    return frozenset(
        index * 64 + bit for index, word in enumerate(words) for bit in range(64) if word >> bit & 1
    )


def _capabilities(
    ids: Iterable[int],
    capability: Capability,
    model_id: str,
    *,
    warm: bool,
    runner_version: str,
    version: str,
    min_version: str,
) -> pb.Capabilities:
    ordered = sorted(set(ids))
    caps = pb.Capabilities(
        bitstring=encode_bitstring(ordered),
        capacities=dict.fromkeys(ordered, 1),
        version=version,
    )
    caps.constraints.minVersion = min_version
    model = caps.constraints.PerCapability[int(capability)].models[model_id]
    model.warm = warm
    model.runnerVersion = runner_version
    return caps


def ai_discovery_capabilities(
    pipeline: str,
    model_id: str,
    *,
    runner_version: str = "",
    version: str = GATEWAY_VERSION,
    min_version: str = "",
) -> pb.Capabilities:
    """OrchestratorRequest capabilities for batch AI: finds cold and warm orchestrators alike."""
    capability = capability_for_pipeline(pipeline)
    return _capabilities(
        [*DEFAULT_CAPABILITIES, capability],
        capability,
        model_id,
        warm=False,
        runner_version=runner_version,
        version=version,
        min_version=min_version,
    )


def ai_job_capabilities(
    pipeline: str,
    model_id: str,
    *,
    warm: bool = False,
    runner_version: str = "",
    version: str = GATEWAY_VERSION,
    min_version: str = "",
) -> pb.Capabilities:
    """SegData capabilities of one batch AI request: only the pipeline capability."""
    capability = capability_for_pipeline(pipeline)
    return _capabilities(
        [capability],
        capability,
        model_id,
        warm=warm,
        runner_version=runner_version,
        version=version,
        min_version=min_version,
    )


def _is_subset(words: Sequence[int], of: Sequence[int]) -> bool:
    padded = list(of) + [0] * max(0, len(words) - len(of))
    return all(word & ~padded[i] == 0 for i, word in enumerate(words))


def _models_compatible(job: pb.Capabilities, orch: pb.Capabilities) -> bool:
    orch_per_capability = orch.constraints.PerCapability
    for capability, wanted in job.constraints.PerCapability.items():
        if capability not in orch_per_capability:
            continue
        offered = orch_per_capability[capability].models
        for model_id, need in wanted.models.items():
            if model_id not in offered:
                return False
            have = offered[model_id]
            if need.warm and not have.warm:
                return False
            if need.runnerVersion and not version_at_least(have.runnerVersion, need.runnerVersion):
                return False
    return True


def is_compatible(job: pb.Capabilities | None, orch: pb.Capabilities | None) -> bool:
    """Whether an orchestrator offering `orch` can serve a job needing `job` (wire §6.3).

    An absent job set asks for nothing; an absent orchestrator set offers the legacy
    capabilities only.
    """
    if job is None:
        return True
    if orch is None:
        return decode_bitstring(job.bitstring) <= LEGACY_CAPABILITIES
    min_version = job.constraints.minVersion
    if min_version and (
        orch.version in ("", "undefined") or not version_at_least(orch.version, min_version)
    ):
        return False
    if not _is_subset(orch.mandatories, job.bitstring):
        return False
    if not _models_compatible(job, orch):
        return False
    return len(job.bitstring) <= len(orch.bitstring) and _is_subset(job.bitstring, orch.bitstring)


def model_constraint(
    info: pb.OrchestratorInfo, pipeline: str, model_id: str
) -> pb.Capabilities.CapabilityConstraints.ModelConstraint | None:
    """The orchestrator's entry for (pipeline, model), or None when it does not offer it."""
    capability = capability_for_pipeline(pipeline)
    if not info.HasField("capabilities"):
        return None
    caps = info.capabilities
    if capability not in decode_bitstring(caps.bitstring):
        return None
    per_capability = caps.constraints.PerCapability
    if capability not in per_capability or model_id not in per_capability[capability].models:
        return None
    return per_capability[capability].models[model_id]


def supports_model(info: pb.OrchestratorInfo, pipeline: str, model_id: str) -> bool:
    """The reference gateway keeps an orchestrator that lists the model under the capability."""
    return model_constraint(info, pipeline, model_id) is not None


def model_price(info: pb.OrchestratorInfo, pipeline: str, model_id: str) -> pb.PriceInfo | None:
    """The (capability, model) entry of `capabilities_prices` (whole wei per unit)."""
    capability = capability_for_pipeline(pipeline)
    for price in info.capabilities_prices:
        if price.capability == capability and price.constraint == model_id:
            return price
    return None
