"""BYOC job signatures: `JobRequest.sig` = Sign(utf8(request ‖ parameters)) (wire.md §4.4).

This is the only signature the signer makes over text a caller chooses, so the text is
narrowed until nothing signed here can stand in for another signature of the same key:

* Tickets. A ticket signature is PersonalSign(ticketHash) over the raw 32-byte hash, and
  ticketHash = keccak256(preimage), so it is exactly Sign(preimage). A preimage (232 bytes,
  168 without auxData) is raw addresses and 32-byte big-endian integers; any real creation
  round, nonce or face value leaves zero bytes in it. Both parts here must be JSON texts (the
  request an object, the parameters an object), and JSON text holds no raw control byte, so
  no preimage can be signed. A message of exactly 32 bytes, the length of a ticket hash, is
  refused as well: this route applies Sign, not PersonalSign, so a 32-byte message is no
  ticket signature by itself, but nothing it signs should even have the shape of a ticket
  hash, whichever form a verifier (or a later change here) applies.
* SegData (Sign(manifestId ‖ pad32(seq) ‖ …), zero bytes again) and the OrchestratorRequest
  signature (Sign of a `0x…` address string; a JSON object starts with `{`) cannot be
  produced either, nor a state blob (PersonalSign of raw JSON, never of a 32-byte digest).

Pure: the checks run before anything is audited or signed.
"""

import json
from dataclasses import dataclass

from lpgw.signer.errors import InvalidRequest

MAX_JOB_BYTES = 64 * 1024
"""Longest request ‖ parameters signed; a BYOC request and its parameters are small JSON."""
TICKET_HASH_BYTES = 32


@dataclass(frozen=True)
class JobMessage:
    """A BYOC job's request and parameters as sent to the orchestrator, checked on creation
    (400 otherwise): the only caller text `SigningService.sign_job` takes."""

    request: str
    parameters: str

    def __post_init__(self) -> None:
        _json_object(self.request, "request")
        if not self.parameters:
            # The reference client sends "{}" for no parameters; the caller decides that.
            raise InvalidRequest('parameters must not be empty (send "{}" for none)')
        _json_object(self.parameters, "parameters")
        message = self.message
        if len(message) > MAX_JOB_BYTES:
            raise InvalidRequest(f"request and parameters exceed {MAX_JOB_BYTES} bytes")
        if len(message) == TICKET_HASH_BYTES:
            raise InvalidRequest(
                f"request and parameters of exactly {TICKET_HASH_BYTES} bytes are not signed "
                "(the length of a ticket hash); add whitespace"
            )
        if b"\x00" in message:  # unreachable through JSON; the module doc's argument rests on it
            raise InvalidRequest("request and parameters must not contain a NUL byte")

    @property
    def message(self) -> bytes:
        """What is signed: the two texts concatenated, UTF-8."""
        return (self.request + self.parameters).encode("utf-8")


def _json_object(text: str, name: str) -> None:
    if not text:
        raise InvalidRequest(f"{name} must not be empty")
    try:
        text.encode("utf-8")
        document = json.loads(text)
    except UnicodeEncodeError:
        raise InvalidRequest(f"{name} is not valid UTF-8 text") from None
    except (ValueError, RecursionError):
        raise InvalidRequest(f"{name} is not JSON") from None
    if not isinstance(document, dict):
        raise InvalidRequest(f"{name} must be a JSON object")
