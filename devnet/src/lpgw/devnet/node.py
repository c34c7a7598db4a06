"""The devnet orchestrator's state for one run: identity, tokens, prices, slots, results."""

import random
from dataclasses import dataclass

from lpgw.devnet.auth_tokens import AuthTokens
from lpgw.devnet.capabilities import offered
from lpgw.devnet.capacity import ModelSlots
from lpgw.devnet.faults import Faults
from lpgw.devnet.media_store import MediaStore
from lpgw.devnet.pricing import PriceTable
from lpgw.devnet.settings import DevnetSettings
from lpgw.devnet.ticket_params import OffChain, TicketParamsSource
from lpgw.eth import PrivateKey
from lpgw.wire.net import lp_rpc_pb2 as pb

VERSION = "0.9.1-devnet"


@dataclass(frozen=True)
class Node:
    key: PrivateKey
    service_uri: str
    auth_tokens: AuthTokens
    prices: PriceTable
    slots: ModelSlots
    media: MediaStore
    faults: Faults
    ticket_params: TicketParamsSource
    max_image_side: int
    version: str = VERSION

    def capabilities(self) -> pb.Capabilities:
        """What the devnet serves right now, with free slots as model capacity."""
        return offered(self.slots.free(), self.version)


def node_key(settings: DevnetSettings) -> PrivateKey:
    if settings.key_hex is None:
        return PrivateKey.generate()
    return PrivateKey(bytes.fromhex(settings.key_hex.get_secret_value().removeprefix("0x")))


def build_node(settings: DevnetSettings, service_uri: str, key: PrivateKey) -> Node:
    models = list(dict.fromkeys(settings.models))
    return Node(
        key=key,
        service_uri=service_uri,
        auth_tokens=AuthTokens(),
        prices=PriceTable.for_text_to_image(
            {model: settings.model_price(model) for model in models},
            settings.transcoding_price_per_unit,
        ),
        slots=ModelSlots(models, settings.capacity),
        media=MediaStore(settings.media_store_bytes),
        faults=Faults(
            settings.latency_ms / 1000,
            settings.failure_rate,
            random.Random(settings.failure_seed),
        ),
        ticket_params=OffChain(),
        max_image_side=settings.max_image_side,
    )
