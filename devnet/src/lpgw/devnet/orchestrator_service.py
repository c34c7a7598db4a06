"""The `net.Orchestrator` gRPC service (wire.md §2, §5.1) of the devnet."""

from lpgw.devnet.errors import OrchestratorRequestRejected
from lpgw.devnet.grpc_unary import Unary, UnaryMethod
from lpgw.devnet.node import Node
from lpgw.devnet.orchestrator_info import orchestrator_info, quote
from lpgw.devnet.transcoding.errors import OrchestratorCapped
from lpgw.pm import PmError
from lpgw.wire.net import lp_rpc_pb2 as pb

_SERVICE = "/net.Orchestrator/"
INVALID_REQUEST = "Invalid orchestrator request: "


class OrchestratorService:
    """Request signatures are not checked; ticket params are issued when payments are on.

    A transcoding request (one naming no AI capability) is refused with `OrchestratorCapped`
    while every transcoding session is taken (wire.md §5.1 step 2); AI requests never are.
    """

    def __init__(self, node: Node) -> None:
        self._node = node

    async def get_orchestrator(self, request: pb.OrchestratorRequest) -> pb.OrchestratorInfo:
        node = self._node
        capabilities = request.capabilities if request.HasField("capabilities") else None
        if node.transcoding.capped(capabilities):
            raise OrchestratorRequestRejected(f"{INVALID_REQUEST}{OrchestratorCapped()}")
        try:
            return orchestrator_info(
                node,
                sender=request.address,
                capabilities=capabilities,
                auth_token=node.auth_tokens.issue(),
                price=quote(node, capabilities),
            )
        except PmError as exc:
            raise OrchestratorRequestRejected(str(exc)) from exc

    async def ping(self, request: pb.PingPong) -> pb.PingPong:
        return pb.PingPong(value=self._node.key.sign(request.value))

    async def end_transcoding_session(
        self, request: pb.EndTranscodingSessionRequest
    ) -> pb.EndTranscodingSessionResponse:
        node = self._node
        if not node.auth_tokens.is_genuine(request.auth_token):
            raise OrchestratorRequestRejected("Invalid auth token")
        node.transcoding.end(request.auth_token.session_id, node.media)
        return pb.EndTranscodingSessionResponse()

    def methods(self) -> dict[str, UnaryMethod]:
        return {
            _SERVICE + "GetOrchestrator": Unary(pb.OrchestratorRequest, self.get_orchestrator),
            _SERVICE + "Ping": Unary(pb.PingPong, self.ping),
            _SERVICE + "EndTranscodingSession": Unary(
                pb.EndTranscodingSessionRequest, self.end_transcoding_session
            ),
        }
