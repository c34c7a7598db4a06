"""Segment credentials on HTTP calls, in the reference's order (wire.md §7.3 step 2, §7.4 step 2).

Decode (`ErrorSegEncoding`), signature against the payment's sender when payments are on
(`ErrSegSig`), capability compatibility, auth token present, genuine and unexpired. Every
refusal is an lpgw.wire SegmentCredentialError or MalformedSegment: HTTP 403. `/segment`
decodes and checks its profiles and duration between the decode and the rest
(`verify_credentials`).
"""

from lpgw.devnet.node import Node
from lpgw.wire.capabilities import is_compatible
from lpgw.wire.errors import IncompatibleCapabilities
from lpgw.wire.headers import decode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb


def check_credentials(node: Node, segment_header: str, payment: pb.Payment) -> pb.SegData:
    segment = decode_segment(segment_header)
    verify_credentials(node, segment, payment)
    return segment


def verify_credentials(node: Node, segment: pb.SegData, payment: pb.Payment) -> None:
    """Signature, capabilities and auth token of decoded credentials."""
    if node.payments is not None:
        node.payments.verify_segment(segment, payment)
    job = segment.capabilities if segment.HasField("capabilities") else None
    if not is_compatible(job, node.capabilities()):
        raise IncompatibleCapabilities()
    node.auth_tokens.verify(segment)
