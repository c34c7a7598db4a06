"""OrchestratorRequest: what a gateway sends to GetOrchestrator (wire §3.1, §4.1)."""

from lpgw.eth import to_checksum, verify_sign
from lpgw.eth.addresses import ADDRESS_LENGTH
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.signers import AddressSigner


def orchestrator_request_message(address: bytes) -> bytes:
    """The signed bytes: UTF-8 of the EIP-55 address; a lowercase string would not verify."""
    return to_checksum(address).encode()


def sign_orchestrator_request(signer: AddressSigner) -> tuple[bytes, bytes]:
    """(address, sig) for every OrchestratorRequest; compute once and reuse."""
    address = signer.address
    return address, signer.sign(orchestrator_request_message(address))


def build_orchestrator_request(
    address: bytes,
    sig: bytes,
    capabilities: pb.Capabilities | None = None,
    ignore_capacity_check: bool = False,
) -> pb.OrchestratorRequest:
    """Without capabilities the orchestrator answers its general info and all its prices."""
    request = pb.OrchestratorRequest(
        address=address, sig=sig, ignoreCapacityCheck=ignore_capacity_check
    )
    if capabilities is not None:
        request.capabilities.CopyFrom(capabilities)
    return request


def verify_orchestrator_request(request: pb.OrchestratorRequest) -> bool:
    """The orchestrator's check: `sig` is Sign(EIP-55 string of `address`) by that address."""
    if len(request.address) != ADDRESS_LENGTH:
        return False
    return verify_sign(orchestrator_request_message(request.address), request.sig, request.address)
