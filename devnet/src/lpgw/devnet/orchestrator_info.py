"""The OrchestratorInfo the devnet hands out: in GetOrchestrator and in `POST /payment` results.

With capabilities the price is the sum for what was asked (wire.md §6.4); without, the
transcoding price and the full price list (§5.1 step 4), BYOC capabilities as capability 37
with their name as constraint (§3.2). When payments are on, ticket params
bound to the sender and that price ride along (payments.md §3.3).
"""

from fractions import Fraction

from lpgw.devnet.node import Node
from lpgw.devnet.pricing import price_info
from lpgw.wire.net import lp_rpc_pb2 as pb


def quote(node: Node, capabilities: pb.Capabilities | None) -> Fraction:
    """The devnet's current price for a job with these capabilities (wei per unit)."""
    if capabilities is None:
        return node.prices.transcoding
    return node.prices.for_job(capabilities)


def orchestrator_info(
    node: Node,
    *,
    sender: bytes,
    capabilities: pb.Capabilities | None,
    auth_token: pb.AuthToken,
    price: Fraction,
) -> pb.OrchestratorInfo:
    """Raises lpgw.pm's InsufficientSenderReserve when the sender cannot back a ticket."""
    info = pb.OrchestratorInfo(
        transcoder=node.service_uri,
        address=node.key.address,
        capabilities=node.capabilities(),
        auth_token=auth_token,
        price_info=price_info(price),
    )
    if capabilities is None:
        info.capabilities_prices.extend(node.prices.listed())
        info.capabilities_prices.extend(node.byoc.listed_prices())
    if node.payments is not None:
        params = node.payments.ticket_params(sender, price)
        if params is not None:
            info.ticket_params.CopyFrom(params)
    return info
