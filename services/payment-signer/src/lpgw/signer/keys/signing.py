"""The one object that holds the gateway key and makes every signature the signer serves.

Routes and services ask it for signatures of specific, structured things (tickets under
params, segment credentials, a remote-signer state blob, a BYOC job) and never see the key;
there is deliberately no method that signs caller-chosen bytes (see segments.py for why): the
one signature over caller text, a BYOC job's, takes only a `JobMessage`, whose checks
(jobs.py) keep it from being any other signature of this key.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from lpgw.eth import PrivateKey, verify_personal
from lpgw.pm import TicketParams, TicketSenderParams, sign_tickets
from lpgw.signer.keys.jobs import JobMessage
from lpgw.signer.keys.segments import Segment, segment_credentials
from lpgw.wire.net import lp_rpc_pb2 as pb

#: Every state blob the signer signs is its own JSON object starting with this; 32-byte
#: ticket hashes (the other PersonalSign use of the key) can never look like it.
STATE_PREFIX = b'{"StateID":'


@dataclass(frozen=True, slots=True)
class OrchestratorInfoSignature:
    """OrchestratorRequest.address and .sig: Sign(utf8(EIP-55 address)) (wire.md §4.1)."""

    address: bytes
    checksum_address: str
    signature: bytes


class SigningService:
    def __init__(self, key: PrivateKey) -> None:
        self._key = key
        # Computed once, as the reference does: the message never changes for a key.
        self._orchestrator_info = OrchestratorInfoSignature(
            address=key.address,
            checksum_address=key.checksum_address,
            signature=key.sign(key.checksum_address.encode()),
        )

    @property
    def address(self) -> str:
        return self._key.checksum_address

    @property
    def address_bytes(self) -> bytes:
        return self._key.address

    def orchestrator_info_signature(self) -> OrchestratorInfoSignature:
        return self._orchestrator_info

    def tickets(
        self, params: TicketParams, nonces: Iterable[int]
    ) -> tuple[TicketSenderParams, ...]:
        """One signed ticket per nonce under `params`, sent by this key."""
        return sign_tickets(self._key, params, self._key.address, nonces)

    def segment(
        self,
        *,
        manifest_id: str,
        segment: Segment,
        auth_token: pb.AuthToken,
        capabilities: pb.Capabilities | None,
    ) -> pb.SegData:
        return segment_credentials(
            manifest_id=manifest_id,
            segment=segment,
            auth_token=auth_token,
            capabilities=capabilities,
            signer=self._key,
        )

    def sign_job(self, job: JobMessage) -> bytes:
        """`JobRequest.sig` of a BYOC job: Sign(utf8(request ‖ parameters)) (wire.md §4.4)."""
        return self._key.sign(job.message)

    def sign_state(self, state: bytes) -> bytes:
        """PersonalSign of a remote-signer state blob this service encoded itself."""
        if not state.startswith(STATE_PREFIX):
            raise ValueError("only the signer's own state blobs are signed")
        return self._key.personal_sign(state)

    def verify_state(self, state: bytes, sig: bytes) -> bool:
        return verify_personal(state, sig, self._key.address)
