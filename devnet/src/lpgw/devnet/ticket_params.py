"""Where ticket parameters will come from once the devnet takes payments.

Today the devnet is an off-chain orchestrator: it issues no ticket params and accepts an empty
`Livepeer-Payment`. The payments issue replaces `OffChain` with a source backed by lpgw.pm that
derives params for (sender, price); GetOrchestrator already asks this seam for them.
"""

from fractions import Fraction
from typing import Protocol

from lpgw.wire.net import lp_rpc_pb2 as pb


class TicketParamsSource(Protocol):
    def ticket_params(self, sender: bytes, price: Fraction) -> pb.TicketParams | None:
        """Params a gateway at `sender` must use to pay `price` wei per unit, or None."""
        ...


class OffChain:
    """No tickets: OrchestratorInfo.ticket_params stays absent."""

    def ticket_params(self, sender: bytes, price: Fraction) -> pb.TicketParams | None:
        return None
