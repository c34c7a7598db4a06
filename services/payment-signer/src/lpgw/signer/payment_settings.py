"""The signer's payment settings: chain, spend controls, budgets, nonces, auth webhook.

A base of SignerSettings (the one settings class of the service), kept apart because these
are the knobs that bound what the deposit can lose; each says what it limits and how.
"""

import json
import os
from fractions import Fraction
from typing import Annotated, Any, Literal, Self

from lpgw.pm.chain import DEVNET_DEPOSIT, DEVNET_RESERVE
from lpgw.service.settings import ServiceSettings
from lpgw.signer.live.webhook import parse_header_list
from lpgw.signer.policy.ceilings import MaxPrice
from lpgw.signer.policy.limits import SpendLimits
from lpgw.signer.policy.spend import PaymentPolicy
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

#: Redis counters are int64.
MAX_BUDGET_WEI = 2**63 - 1
RENAMED = {
    "SIGNER_SESSION_BUDGET_WEI": "SIGNER_JOB_BUDGET_WEI",
    "SIGNER_PENDING_TTL_S": "SIGNER_PAYMENT_TTL_S",
}
"""Variables of earlier versions: refused by name, so a budget is never silently dropped."""
MAX_NONCE = 2**32 - 1


class PaymentSettings(ServiceSettings):
    signer_chain: Literal["devnet"] = Field(
        default="devnet",
        description="Where ticket expiry and our deposit are read: `devnet` (time-made "
        "blocks shared with the devnet orchestrator; lpgw.pm.chain.DevnetChain). An Arbitrum "
        "view is future work.",
    )
    signer_devnet_deposit_wei: int = Field(
        default=DEVNET_DEPOSIT, ge=0, description="Our deposit on the devnet chain (wei)."
    )
    signer_devnet_reserve_wei: int = Field(
        default=DEVNET_RESERVE, ge=0, description="Our reserve on the devnet chain (wei)."
    )
    signer_deposit_multiplier: int = Field(
        default=1,
        ge=1,
        description="Face values above deposit / this are refused (reference "
        "`-depositMultiplier`).",
    )
    signer_max_prices: Annotated[tuple[MaxPrice, ...], NoDecode] = Field(
        default=(),
        description="Price ceilings per capability, JSON like the reference "
        '`-maxPricePerCapability`: `[{"pipeline": "text-to-image", "model_id": "default", '
        '"price_per_unit": 5, "pixels_per_unit": 1}]` (model "default" = any model; the most '
        "specific entry wins; above the ceiling: 481).",
    )
    signer_max_price_per_unit: str | None = Field(
        default=None,
        description="Global price ceiling in wei per unit (`5`, `1/3` or `0.25`) for "
        "capabilities without an entry in SIGNER_MAX_PRICES (reference `-maxPricePerUnit`).",
    )
    signer_max_ticket_ev: int = Field(
        default=3_000_000_000_000,
        ge=0,
        description="Highest EV of one ticket (wei) the signer accepts in ticket params "
        "(reference `-maxTicketEV`; above: 403).",
    )
    signer_max_total_ev: int = Field(
        default=20_000_000_000_000,
        ge=0,
        description="Highest total EV (wei) of the tickets of one call "
        "(reference `-maxTotalEV`; above: 403).",
    )
    signer_max_face_value: int | None = Field(
        default=None,
        ge=0,
        description="Highest ticket face value (wei) on top of deposit / multiplier "
        "(unset: only that; above: 403).",
    )
    signer_max_tickets: int = Field(
        default=100,
        ge=1,
        le=MAX_NONCE,
        description="Most tickets in one call (reference remote signer: 100; above: 400).",
    )
    signer_client_budget_wei: int | None = Field(
        default=None,
        ge=0,
        le=MAX_BUDGET_WEI,
        description="EV (wei) of tickets one client (bearer token) may have signed per "
        "SIGNER_BUDGET_PERIOD_S (unset: unlimited; exceeded: 429).",
    )
    signer_budget_period_s: int = Field(
        default=86400, ge=1, description="Length of a client budget period (seconds)."
    )
    signer_job_budget_wei: int | None = Field(
        default=None,
        ge=0,
        le=MAX_BUDGET_WEI,
        description="EV (wei) of tickets one job or stream (the `job` of a payment, the "
        "StateID of /generate-live-payment) may have signed (unset: unlimited; exceeded: 429).",
    )
    signer_nonce_refresh_at: int = Field(
        default=500,
        ge=1,
        le=MAX_NONCE,
        description="Refuse tickets past this nonce under one set of ticket params (480: "
        "refresh the OrchestratorInfo); orchestrators refuse more than 600.",
    )
    signer_payment_ttl_s: int = Field(
        default=600,
        ge=1,
        description="How long a payment's record is kept: within this time a call repeated "
        "with its idempotency key gets the same answer, and its request can be settled.",
    )
    signer_credit_headroom_tickets: int = Field(
        default=1,
        ge=0,
        le=100,
        description="Tickets' worth of credit kept above the reference's minimum max(fee, "
        "ticket EV), so a payment never relies on tickets a concurrent request may deliver "
        "after it (0: the reference's minimum).",
    )
    signer_webhook_url: str | None = Field(
        default=None,
        description="Auth webhook asked before /generate-live-payment answers (reference "
        "`-remoteSignerWebhookUrl`).",
    )
    signer_webhook_headers: SecretStr | None = Field(
        default=None, description="Headers sent to the webhook, `name:value,name2:value2`."
    )

    @model_validator(mode="after")
    def _refuse_renamed(self) -> Self:
        stale = [f"{old} is now {new}" for old, new in RENAMED.items() if old in os.environ]
        if stale:
            raise ValueError("; ".join(stale))
        return self

    @field_validator("signer_max_prices", mode="before")
    @classmethod
    def _parse_max_prices(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else []
        if isinstance(value, dict):
            value = value.get("capabilities_prices", [])
        return value

    @field_validator("signer_max_price_per_unit")
    @classmethod
    def _check_price(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                price = Fraction(value.strip())
            except (ValueError, ZeroDivisionError):
                raise ValueError("a price is `5`, `1/3` or `0.25` wei per unit") from None
            if price < 0:
                raise ValueError("a price ceiling is not negative")
        return value

    @field_validator("signer_webhook_headers")
    @classmethod
    def _check_headers(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_header_list(value.get_secret_value())
        return value

    @property
    def webhook_headers(self) -> dict[str, str]:
        if self.signer_webhook_headers is None:
            return {}
        return parse_header_list(self.signer_webhook_headers.get_secret_value())

    def payment_policy(self) -> PaymentPolicy:
        global_price = self.signer_max_price_per_unit
        return PaymentPolicy(
            limits=SpendLimits(
                max_ticket_ev=Fraction(self.signer_max_ticket_ev),
                max_total_ev=Fraction(self.signer_max_total_ev),
                max_face_value=self.signer_max_face_value,
                max_tickets=self.signer_max_tickets,
                deposit_multiplier=self.signer_deposit_multiplier,
            ),
            max_prices=self.signer_max_prices,
            global_max_price=None if global_price is None else Fraction(global_price.strip()),
            nonce_refresh_at=self.signer_nonce_refresh_at,
            payment_ttl_s=self.signer_payment_ttl_s,
            credit_headroom=self.signer_credit_headroom_tickets,
            client_budget_wei=self.signer_client_budget_wei,
            budget_period_s=self.signer_budget_period_s,
            job_budget_wei=self.signer_job_budget_wei,
        )
