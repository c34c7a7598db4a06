"""The devnet orchestrator's state for one run: identity, tokens, prices, slots, results,
transcoding, BYOC capabilities."""

import os
import random
from dataclasses import dataclass, field

from lpgw.devnet.auth_tokens import AuthTokens
from lpgw.devnet.byoc.registry import CapabilityRegistry
from lpgw.devnet.capabilities import offered
from lpgw.devnet.capacity import ModelSlots
from lpgw.devnet.faults import Faults
from lpgw.devnet.ledger import Ledger
from lpgw.devnet.media_store import MediaStore
from lpgw.devnet.payments import Payments
from lpgw.devnet.pricing import PriceTable
from lpgw.devnet.settings import DevnetSettings
from lpgw.devnet.transcoding.engine import Transcoder
from lpgw.devnet.transcoding.failures import InjectedFailures
from lpgw.devnet.transcoding.service import TranscodingService
from lpgw.devnet.transcoding.sessions import TranscodingSessions
from lpgw.eth import PrivateKey
from lpgw.pipelines import PIPELINES
from lpgw.pm import Recipient, RecipientConfig
from lpgw.pm.chain import DevnetChain
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
    payments: Payments | None
    max_image_side: int
    transcoding: TranscodingService
    llm_token_delay_s: float = 0.0
    version: str = VERSION
    byoc: CapabilityRegistry = field(default_factory=CapabilityRegistry)
    orch_secret: str | None = field(default=None, repr=False)
    byoc_debit_interval_s: float = 5.0

    def capabilities(self) -> pb.Capabilities:
        """What the devnet serves right now, with free slots as model capacity."""
        return offered(self.slots.free(), self.version)


def node_key(settings: DevnetSettings) -> PrivateKey:
    if settings.key_hex is None:
        return PrivateKey.generate()
    return PrivateKey(bytes.fromhex(settings.key_hex.get_secret_value().removeprefix("0x")))


def payments(settings: DevnetSettings, key: PrivateKey) -> Payments:
    """A recipient with a new secret, on the devnet chain with the configured sender funds."""
    config = RecipientConfig(
        ticket_ev=settings.ticket_ev,
        redeem_gas=settings.redeem_gas,
        tx_cost_multiplier=settings.face_value_multiplier,
        max_face_value=settings.max_face_value,
    )
    chain = DevnetChain(
        deposit=settings.sender_deposit,
        reserve=settings.sender_reserve,
        gas_price=settings.effective_gas_price,
        block_time_s=settings.block_time_s,
    )
    return Payments(Recipient.create(key.address, config), chain, Ledger())


def transcoding(settings: DevnetSettings) -> TranscodingService:
    return TranscodingService(
        sessions=TranscodingSessions(settings.max_sessions, settings.transcode_session_idle_s),
        transcoder=Transcoder(
            settings.transcode_mode,
            settings.x264_preset,
            settings.transcode_workers or os.cpu_count() or 1,
        ),
        failures=InjectedFailures(settings.segment_failure_kind),
    )


def build_node(settings: DevnetSettings, service_uri: str, key: PrivateKey) -> Node:
    served = {
        int(PIPELINES[name].capability): models for name, models in settings.served_models().items()
    }
    return Node(
        key=key,
        service_uri=service_uri,
        auth_tokens=AuthTokens(),
        prices=PriceTable.for_models(
            served, settings.model_price, settings.transcoding_price_per_unit
        ),
        slots=ModelSlots(
            [(capability, model) for capability, models in served.items() for model in models],
            settings.capacity,
        ),
        media=MediaStore(settings.media_store_bytes),
        faults=Faults(
            settings.latency_ms / 1000,
            settings.failure_rate,
            random.Random(settings.failure_seed),
        ),
        payments=payments(settings, key) if settings.payments else None,
        max_image_side=settings.max_image_side,
        transcoding=transcoding(settings),
        llm_token_delay_s=settings.llm_token_delay_ms / 1000,
        orch_secret=(
            None if settings.orch_secret is None else settings.orch_secret.get_secret_value()
        ),
        byoc_debit_interval_s=settings.byoc_debit_interval_ms / 1000,
    )
