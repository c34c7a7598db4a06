"""The capability set the devnet advertises (wire.md §6): defaults plus its AI pipelines."""

from collections.abc import Mapping

from lpgw.wire.capabilities import DEFAULT_CAPABILITIES, Capability, encode_bitstring
from lpgw.wire.net import lp_rpc_pb2 as pb

RUNNER_VERSION = "0.14.1"
"""The ai-runner version the devnet's models claim; gateways may require a minimum."""


def offered(free_slots: Mapping[str, int], version: str) -> pb.Capabilities:
    """Default capabilities plus text-to-image, each model warm with its free slots."""
    defaults = sorted(DEFAULT_CAPABILITIES)
    capacities = {int(capability): 1 for capability in defaults}
    capacities[Capability.TEXT_TO_IMAGE] = sum(free_slots.values())
    models = {
        model: pb.Capabilities.CapabilityConstraints.ModelConstraint(
            warm=True, capacity=free, runnerVersion=RUNNER_VERSION
        )
        for model, free in free_slots.items()
    }
    return pb.Capabilities(
        bitstring=encode_bitstring([*defaults, Capability.TEXT_TO_IMAGE]),
        capacities=capacities,
        version=version,
        constraints=pb.Capabilities.Constraints(
            PerCapability={
                Capability.TEXT_TO_IMAGE: pb.Capabilities.CapabilityConstraints(models=models)
            }
        ),
    )
