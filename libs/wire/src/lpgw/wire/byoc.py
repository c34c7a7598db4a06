"""BYOC (bring your own container) on the wire: job requests, the token request header, job
tokens and the balance lines of streamed answers (wire.md §4.4, §7.6).

Both sides use it: a gateway signs job requests and reads tokens, an orchestrator (the devnet)
verifies them and writes tokens. Values travel as Go's encoding/json writes and reads them:
compact JSON, `[]byte` as standard padded base64, zero values left out where the reference
says `omitempty`, object keys matched case-insensitively on input. Pure: no I/O.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from lpgw.eth import InvalidAddress, parse_address, to_checksum, verify_sign
from lpgw.wire.errors import WireError
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.signers import AddressSigner

TOKEN_PATH = "/process/token"
PROCESS_PATH_PREFIX = "/process/request/"
REGISTER_PATH = "/capability/register"
UNREGISTER_PATH = "/capability/unregister"

SSE_DONE_LINE = "data: [DONE]"
INSUFFICIENT_BALANCE_EVENT = "event: insufficient balance"

MIN_BALANCE_SECONDS = 60
"""The orchestrator starts a job only when the sender's balance covers this many seconds."""

_SIGNATURE_HEX_CHARS = 130


class ByocError(WireError, ValueError):
    """Base of the BYOC wire errors; str() is the reference text where it has one."""


class InvalidJobRequest(ByocError):
    """The `Livepeer` header is not base64 of a JobRequest JSON object."""


class MissingJobTimeout(InvalidJobRequest):
    def __init__(self) -> None:
        super().__init__("no timeout_seconds set with request, timeout_seconds is required")


class InvalidJobSignature(ByocError):
    """`sig` is not a signature by `sender` (the reference's `ErrSegSig`)."""

    def __init__(self) -> None:
        super().__init__("ErrSegSig")


class InvalidEthAddressHeader(ByocError):
    """`Livepeer-Eth-Address` cannot be decoded or its signature does not verify."""

    def __init__(self) -> None:
        super().__init__("Invalid eth address header ")  # the reference's trailing space


class InvalidJobToken(ByocError):
    """A `/process/token` answer that is not a JobToken."""


# --- Go encoding/json, as far as these structs need it ---------------------------------------


class _Malformed(ByocError):
    """Raised by the helpers below; each public decoder re-raises it as its own error."""


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise _Malformed("bytes must be a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise _Malformed(f"invalid base64: {exc}") from exc


def _loads(value: str | bytes) -> object:
    try:
        return json.loads(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Malformed(f"invalid JSON: {exc}") from exc


def _object(value: object, keys: tuple[str, ...]) -> dict[str, Any]:
    """The known keys of a JSON object, matched as Go does (exact first, else any case);
    JSON null counts as absent."""
    if not isinstance(value, dict):
        raise _Malformed("expected a JSON object")
    found: dict[str, Any] = {}
    for key in keys:
        if key in value:
            found[key] = value[key]
            continue
        for name, item in value.items():
            if name.lower() == key.lower():
                found[key] = item
                break
    return {key: item for key, item in found.items() if item is not None}


def _string(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key, "")
    if not isinstance(value, str):
        raise _Malformed(f"{key} must be a string")
    return value


def _integer(fields: Mapping[str, Any], key: str) -> int:
    value = fields.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(f"{key} must be an integer")
    return value


# --- signatures ------------------------------------------------------------------------------


def job_signing_message(request: str, parameters: str) -> bytes:
    """What a gateway signs for a job: UTF-8 of `request ‖ parameters`."""
    return (request + parameters).encode()


def signature_hex(sig: bytes) -> str:
    """The wire form of a signature: `0x` and 130 hex digits."""
    return "0x" + sig.hex()


def signature_bytes(text: str) -> bytes:
    """The reference's reading: two characters are dropped only past 130, then hex."""
    digits = text[2:] if len(text) > _SIGNATURE_HEX_CHARS else text
    try:
        return bytes.fromhex(digits)
    except ValueError as exc:
        raise InvalidJobSignature() from exc


def _signed_by(message: bytes, sig: str, address_text: str) -> bytes:
    """The address (20 bytes) if `sig` is Sign(message) by it; InvalidJobSignature otherwise."""
    try:
        address = parse_address(address_text.lower())
    except InvalidAddress as exc:
        raise InvalidJobSignature() from exc
    if not verify_sign(message, signature_bytes(sig), address):
        raise InvalidJobSignature()
    return address


# --- the token request: Livepeer-Eth-Address -------------------------------------------------


@dataclass(frozen=True)
class JobSender:
    """`{addr, sig}`: the gateway's address and Sign(utf8(addr)), as sent and echoed."""

    addr: str
    sig: str

    def to_json(self) -> dict[str, str]:
        return {"addr": self.addr, "sig": self.sig}

    @classmethod
    def _from_fields(cls, value: object) -> "JobSender":
        fields = _object(value, ("addr", "sig"))
        return cls(addr=_string(fields, "addr"), sig=_string(fields, "sig"))

    def verify(self) -> bytes:
        """The sender's 20-byte address; the signed text is `addr` exactly as sent.
        InvalidEthAddressHeader when the signature does not verify."""
        try:
            return _signed_by(self.addr.encode(), self.sig, self.addr)
        except InvalidJobSignature as exc:
            raise InvalidEthAddressHeader() from exc


def eth_address_header(address_checksummed: str, sig: bytes) -> str:
    """`Livepeer-Eth-Address`: base64 of `{"addr", "sig"}`; `sig` = Sign(utf8(address)), the
    OrchestratorRequest signature, so send the EIP-55 form it was made over."""
    return _b64(_compact(JobSender(address_checksummed, signature_hex(sig)).to_json()).encode())


def parse_eth_address_header(value: str) -> JobSender:
    """The header decoded, not verified (`JobSender.verify`); InvalidEthAddressHeader."""
    try:
        return JobSender._from_fields(_loads(_unb64(value)))
    except _Malformed as exc:
        raise InvalidEthAddressHeader() from exc


# --- the job: Livepeer -----------------------------------------------------------------------

_JOB_KEYS = (
    "id",
    "request",
    "parameters",
    "capability",
    "capability_url",
    "sender",
    "sig",
    "timeout_seconds",
)


@dataclass(frozen=True, kw_only=True)
class JobRequest:
    """The `Livepeer` header of `POST /process/request/{route}` (wire.md §7.6).

    `request` and `parameters` are JSON texts, signed as they are; `capability_url` is filled
    by the orchestrator and ignored on input.
    """

    id: str = ""
    request: str = "{}"
    parameters: str = "{}"
    capability: str = ""
    capability_url: str = ""
    sender: str = ""
    sig: str = ""
    timeout_seconds: int = 0

    def signing_message(self) -> bytes:
        return job_signing_message(self.request, self.parameters)

    def signed(self, signer: AddressSigner) -> "JobRequest":
        """This job with `sender` (EIP-55) and `sig` from the gateway's key."""
        return replace(
            self,
            sender=to_checksum(signer.address),
            sig=signature_hex(signer.sign(self.signing_message())),
        )

    def verify(self) -> bytes:
        """The sender's 20-byte address if `sig` is its signature; InvalidJobSignature."""
        return _signed_by(self.signing_message(), self.sig, self.sender)

    def to_json(self) -> dict[str, object]:
        """Every key, as Go writes the struct (none is `omitempty`)."""
        return {key: getattr(self, key) for key in _JOB_KEYS}

    def encode(self) -> str:
        return _b64(_compact(self.to_json()).encode())

    @classmethod
    def decode(cls, value: str) -> "JobRequest":
        """The header decoded; InvalidJobRequest, or MissingJobTimeout for timeout 0."""
        try:
            fields = _object(_loads(_unb64(value)), _JOB_KEYS)
            job = cls(
                id=_string(fields, "id"),
                request=_string(fields, "request"),
                parameters=_string(fields, "parameters"),
                capability=_string(fields, "capability"),
                capability_url=_string(fields, "capability_url"),
                sender=_string(fields, "sender"),
                sig=_string(fields, "sig"),
                timeout_seconds=_integer(fields, "timeout_seconds"),
            )
        except _Malformed as exc:
            raise InvalidJobRequest(str(exc)) from exc
        if job.timeout_seconds == 0:
            raise MissingJobTimeout()
        return job


# --- the token: GET /process/token -----------------------------------------------------------

_TICKET_KEYS = (
    "recipient",
    "face_value",
    "win_prob",
    "recipient_rand_hash",
    "seed",
    "expiration_block",
)
_EXPIRATION_KEYS = ("creation_round", "creation_round_block_hash")
_PRICE_KEYS = ("pricePerUnit", "pixelsPerUnit", "capability", "constraint")
_TOKEN_KEYS = (
    "sender_address",
    "ticket_params",
    "balance",
    "price",
    "service_addr",
    "available_capacity",
    "LastNonce",
)


def _ticket_params_json(params: pb.TicketParams) -> dict[str, object]:
    out: dict[str, object] = {
        key: _b64(getattr(params, key)) for key in _TICKET_KEYS if getattr(params, key)
    }
    if params.HasField("expiration_params"):
        expiration = params.expiration_params
        nested: dict[str, object] = {}
        if expiration.creation_round:
            nested["creation_round"] = expiration.creation_round
        if expiration.creation_round_block_hash:
            nested["creation_round_block_hash"] = _b64(expiration.creation_round_block_hash)
        out["expiration_params"] = nested
    return out


def _ticket_params_from(value: object) -> pb.TicketParams:
    fields = _object(value, (*_TICKET_KEYS, "expiration_params"))
    params = pb.TicketParams()
    for key in _TICKET_KEYS:
        if key in fields:
            setattr(params, key, _unb64(fields[key]))
    if "expiration_params" in fields:
        nested = _object(fields["expiration_params"], _EXPIRATION_KEYS)
        expiration = params.expiration_params
        expiration.SetInParent()
        expiration.creation_round = _integer(nested, "creation_round")
        if "creation_round_block_hash" in nested:
            expiration.creation_round_block_hash = _unb64(nested["creation_round_block_hash"])
    return params


def _price_json(price: pb.PriceInfo) -> dict[str, object]:
    return {key: getattr(price, key) for key in _PRICE_KEYS if getattr(price, key)}


def _price_from(value: object) -> pb.PriceInfo:
    fields = _object(value, _PRICE_KEYS)
    return pb.PriceInfo(
        pricePerUnit=_integer(fields, "pricePerUnit"),
        pixelsPerUnit=_integer(fields, "pixelsPerUnit"),
        capability=_integer(fields, "capability"),
        constraint=_string(fields, "constraint"),
    )


@dataclass(frozen=True, kw_only=True)
class JobToken:
    """An orchestrator's answer to `GET /process/token` (wire.md §7.6).

    `price` is wei per second (pricePerUnit / pixelsPerUnit); `balance` the sender's balance
    for the capability in whole wei; `ticket_params` absent off-chain. A gateway drops tokens
    without `available_capacity`.
    """

    sender_address: JobSender | None = None
    ticket_params: pb.TicketParams | None = None
    balance: int = 0
    price: pb.PriceInfo | None = None
    service_addr: str = ""
    available_capacity: int = 0
    last_nonce: int = 0

    @property
    def price_per_second(self) -> Fraction:
        """Wei per second; 0 without a price or with a zero denominator."""
        if self.price is None or self.price.pixelsPerUnit == 0:
            return Fraction(0)
        return Fraction(self.price.pricePerUnit, self.price.pixelsPerUnit)

    def to_json(self) -> dict[str, object]:
        """The reference's JSON: zero values left out, except `LastNonce` (not omitempty)."""
        out: dict[str, object] = {}
        if self.sender_address is not None:
            out["sender_address"] = self.sender_address.to_json()
        if self.ticket_params is not None:
            out["ticket_params"] = _ticket_params_json(self.ticket_params)
        if self.balance:
            out["balance"] = self.balance
        if self.price is not None:
            out["price"] = _price_json(self.price)
        if self.service_addr:
            out["service_addr"] = self.service_addr
        if self.available_capacity:
            out["available_capacity"] = self.available_capacity
        out["LastNonce"] = self.last_nonce
        return out

    @classmethod
    def from_json(cls, value: object) -> "JobToken":
        """A decoded JSON value, or its text; unknown keys are ignored, as Go does.
        InvalidJobToken."""
        try:
            if isinstance(value, str | bytes):
                value = _loads(value)
            fields = _object(value, _TOKEN_KEYS)
            return cls(
                sender_address=(
                    JobSender._from_fields(fields["sender_address"])
                    if "sender_address" in fields
                    else None
                ),
                ticket_params=(
                    _ticket_params_from(fields["ticket_params"])
                    if "ticket_params" in fields
                    else None
                ),
                balance=_integer(fields, "balance"),
                price=_price_from(fields["price"]) if "price" in fields else None,
                service_addr=_string(fields, "service_addr"),
                available_capacity=_integer(fields, "available_capacity"),
                last_nonce=_integer(fields, "LastNonce"),
            )
        except _Malformed as exc:
            raise InvalidJobToken(str(exc)) from exc


def token_as_orchestrator_info(token: JobToken) -> pb.OrchestratorInfo:
    """The token as the OrchestratorInfo of an ordinary payment session: `transcoder` is the
    service address, `address` the ticket recipient; no auth token (BYOC has none)."""
    info = pb.OrchestratorInfo(transcoder=token.service_addr)
    if token.ticket_params is not None:
        info.ticket_params.CopyFrom(token.ticket_params)
        info.address = token.ticket_params.recipient
    if token.price is not None:
        info.price_info.CopyFrom(token.price)
    return info


# --- streamed answers ------------------------------------------------------------------------


def balance_event(line: str) -> Decimal | None:
    """The balance of a `data: {"balance": <decimal>}` line of a streamed answer, else None."""
    if not line.startswith("data:"):
        return None
    try:
        value = json.loads(line[len("data:") :], parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return None
    if not isinstance(value, dict) or set(value) != {"balance"}:
        return None
    balance = value["balance"]
    return balance if isinstance(balance, Decimal) else None
