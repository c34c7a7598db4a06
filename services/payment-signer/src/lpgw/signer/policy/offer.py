"""What an orchestrator offered: its OrchestratorInfo, decoded and checked before any use.

The raw protobuf is kept because a Payment must echo the ticket params and the price exactly
as received (payments.md §4.1); the lpgw.pm values are what the maths runs on. Pure.
"""

import base64
import binascii
from dataclasses import dataclass

from google.protobuf.message import DecodeError, Message
from lpgw.pm import ExpirationParams, Price, PriceInfo, TicketParams
from lpgw.pm.encoding import WORD, ZERO_HASH, uint
from lpgw.pm.errors import InvalidPrice
from lpgw.signer.errors import InvalidRequest
from lpgw.wire.net import lp_rpc_pb2 as pb

#: Far above any real OrchestratorInfo; refuses memory abuse before protobuf parsing.
MAX_MESSAGE_BYTES = 256 * 1024
ADDRESS_BYTES = 20


def decode_b64_message(value: object, name: str, message: type[Message]) -> bytes:
    """Standard base64 of at most MAX_MESSAGE_BYTES; the bytes, checked to parse."""
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name} must be a non-empty base64 string")
    if len(value) > MAX_MESSAGE_BYTES * 4 // 3 + 4:
        raise InvalidRequest(f"{name} is too large")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        message.FromString(raw)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidRequest(f"{name} is not valid base64") from None
    except DecodeError:
        raise InvalidRequest(f"{name} is not a valid {message.DESCRIPTOR.name}") from None
    return raw


def _uint_field(name: str, raw: bytes) -> int:
    if len(raw) > WORD:
        raise InvalidRequest(f"ticket params {name} is longer than {WORD} bytes")
    return uint(raw)


def ticket_params(tp: pb.TicketParams) -> TicketParams:
    """lpgw.pm TicketParams of a protobuf one; malformed fields are a 400."""
    if len(tp.recipient) != ADDRESS_BYTES:
        raise InvalidRequest("ticket params recipient is not a 20-byte address")
    if len(tp.recipient_rand_hash) != WORD:
        raise InvalidRequest("ticket params recipient_rand_hash is not 32 bytes")
    if not tp.HasField("expiration_params"):
        # The Payment must carry them whenever it carries ticket params (wire.md §3.6).
        raise InvalidRequest("ticket params lack expiration_params")
    block_hash = tp.expiration_params.creation_round_block_hash or ZERO_HASH
    if len(block_hash) != WORD or tp.expiration_params.creation_round < 0:
        raise InvalidRequest("ticket params expiration_params are malformed")
    expiration = ExpirationParams(tp.expiration_params.creation_round, block_hash)
    return TicketParams(
        recipient=tp.recipient,
        face_value=_uint_field("face_value", tp.face_value),
        win_prob=_uint_field("win_prob", tp.win_prob),
        recipient_rand_hash=tp.recipient_rand_hash,
        seed=_uint_field("seed", tp.seed),
        expiration_block=_uint_field("expiration_block", tp.expiration_block),
        expiration_params=expiration,
    )


@dataclass(frozen=True)
class Offer:
    """A decoded OrchestratorInfo; `params`/`price_info` are None when absent."""

    info: pb.OrchestratorInfo
    params: TicketParams | None
    price_info: PriceInfo | None

    @property
    def transcoder(self) -> str:
        return self.info.transcoder

    @property
    def price(self) -> Price | None:
        return None if self.price_info is None else self.price_info.price()

    @property
    def recipient(self) -> str:
        """The ticket recipient as `0x` hex, or "" without params: the credit's owner."""
        return "0x" + self.params.recipient.hex() if self.params is not None else ""

    @property
    def pays_with_tickets(self) -> bool:
        """Tickets are sent only for params with a positive EV (free params: none)."""
        return self.params is not None and self.params.ev > 0


def _price_info(info: pb.OrchestratorInfo) -> PriceInfo | None:
    if not info.HasField("price_info"):
        return None
    wire = PriceInfo(info.price_info.pricePerUnit, info.price_info.pixelsPerUnit)
    if wire.price_per_unit < 0 or wire.pixels_per_unit < 0:
        raise InvalidRequest("orchestrator price_info is negative")
    try:
        wire.price()
    except InvalidPrice:
        raise InvalidRequest("orchestrator price_info has pixelsPerUnit 0") from None
    return wire


def decode_offer(raw: bytes) -> Offer:
    """The OrchestratorInfo of checked protobuf bytes (`decode_b64_message`)."""
    info = pb.OrchestratorInfo.FromString(raw)
    params = ticket_params(info.ticket_params) if info.HasField("ticket_params") else None
    return Offer(info=info, params=params, price_info=_price_info(info))
