"""The capability set the devnet advertises (wire.md §6): defaults plus its AI pipelines."""

from collections.abc import Mapping

from lpgw.wire.capabilities import DEFAULT_CAPABILITIES, encode_bitstring
from lpgw.wire.net import lp_rpc_pb2 as pb

RUNNER_VERSION = "0.14.1"
"""The ai-runner version the devnet's models claim; gateways may require a minimum."""


def offered(free_slots: Mapping[tuple[int, str], int], version: str) -> pb.Capabilities:
    """Default capabilities plus every served AI capability, each model warm with its free
    slots; a capability's capacity is the sum over its models."""
    defaults = sorted(DEFAULT_CAPABILITIES)
    capacities = {int(capability): 1 for capability in defaults}
    per_capability: dict[int, pb.Capabilities.CapabilityConstraints] = {}
    for (capability, model), free in free_slots.items():
        capacities[capability] = capacities.get(capability, 0) + free
        constraints = per_capability.setdefault(capability, pb.Capabilities.CapabilityConstraints())
        constraints.models[model].CopyFrom(
            pb.Capabilities.CapabilityConstraints.ModelConstraint(
                warm=True, capacity=free, runnerVersion=RUNNER_VERSION
            )
        )
    return pb.Capabilities(
        bitstring=encode_bitstring([*defaults, *per_capability]),
        capacities=capacities,
        version=version,
        constraints=pb.Capabilities.Constraints(PerCapability=per_capability),
    )
