"""`POST /payment`: top up a balance without work (wire.md §7.2, processing as §7.3 1-4).

1 payment → 402, 2 segment credentials → 403, 3 the refreshed OrchestratorInfo (failure →
500), 4 process the payment into (sender, SegData.manifestId) → 400. No balance check: topping
up is how a low balance gets out of `Insufficient balance`. The answer is a protobuf
PaymentResult whose info carries the gateway's own auth token and, when payments are on, new
ticket params for the bucket's fixed price (or the current price for SegData.capabilities).
"""

from lpgw.devnet.credentials import check_credentials
from lpgw.devnet.errors import InternalError
from lpgw.devnet.node import Node
from lpgw.devnet.orchestrator_info import orchestrator_info, quote
from lpgw.pm import PmError
from lpgw.wire.headers import decode_payment
from lpgw.wire.net import lp_rpc_pb2 as pb


async def top_up(node: Node, segment_header: str, payment_header: str) -> pb.PaymentResult:
    payment = decode_payment(payment_header)
    segment = check_credentials(node, segment_header, payment)
    bucket = segment.manifestId.decode("utf-8", errors="replace")
    capabilities = segment.capabilities if segment.HasField("capabilities") else None
    price = quote(node, capabilities)
    if node.payments is not None:
        price = node.payments.price_for(payment.sender, bucket, price)
    try:
        info = orchestrator_info(
            node,
            sender=payment.sender,
            capabilities=capabilities,
            auth_token=segment.auth_token,
            price=price,
        )
    except PmError as exc:
        raise InternalError() from exc
    if node.payments is not None:
        await node.payments.receive(payment, bucket)
    return pb.PaymentResult(info=info)
