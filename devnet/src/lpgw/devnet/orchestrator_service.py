"""The `net.Orchestrator` gRPC service (wire.md §2, §5.1) of the devnet."""

from lpgw.devnet.errors import OrchestratorRequestRejected
from lpgw.devnet.grpc_unary import Unary, UnaryMethod
from lpgw.devnet.node import Node
from lpgw.devnet.pricing import price_info
from lpgw.wire.net import lp_rpc_pb2 as pb

_SERVICE = "/net.Orchestrator/"


class OrchestratorService:
    """Off-chain: request signatures are not checked and no ticket params are issued yet."""

    def __init__(self, node: Node) -> None:
        self._node = node

    async def get_orchestrator(self, request: pb.OrchestratorRequest) -> pb.OrchestratorInfo:
        node = self._node
        info = pb.OrchestratorInfo(
            transcoder=node.service_uri,
            address=node.key.address,
            capabilities=node.capabilities(),
            auth_token=node.auth_tokens.issue(),
        )
        if request.HasField("capabilities"):
            price = node.prices.for_job(request.capabilities)
        else:
            price = node.prices.transcoding
            info.capabilities_prices.extend(node.prices.listed())
        info.price_info.CopyFrom(price_info(price))
        params = node.ticket_params.ticket_params(request.address, price)
        if params is not None:
            info.ticket_params.CopyFrom(params)
        return info

    async def ping(self, request: pb.PingPong) -> pb.PingPong:
        return pb.PingPong(value=self._node.key.sign(request.value))

    async def end_transcoding_session(
        self, request: pb.EndTranscodingSessionRequest
    ) -> pb.EndTranscodingSessionResponse:
        if not self._node.auth_tokens.is_genuine(request.auth_token):
            raise OrchestratorRequestRejected("Invalid auth token")
        return pb.EndTranscodingSessionResponse()

    def methods(self) -> dict[str, UnaryMethod]:
        return {
            _SERVICE + "GetOrchestrator": Unary(pb.OrchestratorRequest, self.get_orchestrator),
            _SERVICE + "Ping": Unary(pb.PingPong, self.ping),
            _SERVICE + "EndTranscodingSession": Unary(
                pb.EndTranscodingSessionRequest, self.end_transcoding_session
            ),
        }
