"""Every knob of the devnet, from DEVNET_* environment variables; CLI flags override them."""

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Literal

from lpgw.pipelines import PIPELINES
from lpgw.pm.chain import BLOCK_TIME_S, DEVNET_DEPOSIT, DEVNET_RESERVE
from lpgw.pm.recipient import REDEEM_GAS
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODELS = ("stabilityai/sdxl-turbo", "ByteDance/SDXL-Lightning")


class DevnetSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEVNET_",
        extra="forbid",
        hide_input_in_errors=True,  # the key is secret
    )

    host: str = Field("127.0.0.1", description="Listen address.")
    port: int = Field(8950, ge=0, le=65535, description="Listen port; 0 picks a free one.")
    service_host: str | None = Field(
        None,
        description="Host in the service URI; default the listen host (127.0.0.1 if wildcard).",
    )
    plain: bool = Field(False, description="Serve h2c + HTTP/1.1 (http:// URI) instead of TLS.")
    models: Annotated[list[str], NoDecode] = Field(
        list(DEFAULT_MODELS),
        min_length=1,
        description="Text-to-image models served (comma-separated).",
    )
    pipeline_models: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Models served per AI pipeline other than text-to-image (JSON object pipeline -> "
            "list of models); a pipeline left out serves its declared default model."
        ),
    )
    price: Decimal = Field(
        Decimal(1000),
        ge=0,
        description="Price of every AI model in wei per pixels-per-unit units.",
    )
    pixels_per_unit: int = Field(1, ge=1, description="Denominator of every configured price.")
    model_prices: dict[str, Decimal] = Field(
        default_factory=dict, description="Per-model price overrides (JSON object model -> wei)."
    )
    transcoding_price: Decimal = Field(
        Decimal(0),
        ge=0,
        description=(
            "Transcoding price in wei per pixels-per-unit pixels; also the price without "
            "capabilities."
        ),
    )
    transcode_mode: Literal["x264", "passthrough"] = Field(
        "x264",
        description="`x264`: real renditions; `passthrough`: the input as every rendition.",
    )
    x264_preset: Literal[
        "ultrafast",
        "superfast",
        "veryfast",
        "faster",
        "fast",
        "medium",
        "slow",
        "slower",
        "veryslow",
        "placebo",
    ] = Field("veryfast", description="libx264 preset of the renditions.")
    transcode_workers: int | None = Field(
        None, ge=1, description="Threads transcoding segments; default the CPU count."
    )
    max_sessions: int = Field(
        10, ge=1, description="Concurrent transcoding sessions (`-maxSessions`)."
    )
    transcode_session_idle_s: float = Field(
        60.0, gt=0, description="A transcoding session stops counting after this long idle."
    )
    latency_ms: int = Field(
        0, ge=0, description="Added latency of each AI job and transcoded segment."
    )
    failure_rate: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Probability a job or segment fails with `devnet injected failure`.",
    )
    segment_failure_kind: Literal["result", "http", "alternate"] = Field(
        "alternate",
        description=(
            "How an injected segment failure shows: TranscodeResult error, HTTP 500, or each "
            "in turn."
        ),
    )
    failure_seed: int | None = Field(None, description="Seed of the failure RNG (reproducible).")
    capacity: int = Field(4, ge=0, description="Concurrent AI jobs per (pipeline, model).")
    llm_token_delay_ms: int = Field(
        20, ge=0, description="Pause between streamed /llm tokens, so streaming is observable."
    )
    key_hex: SecretStr | None = Field(
        None, description="Orchestrator secp256k1 key (hex); default a fresh key per start."
    )
    max_image_side: int = Field(2048, ge=1, description="Largest accepted width or height.")
    media_store_bytes: int = Field(256 * 2**20, ge=1, description="Memory kept for results.")
    payments: bool = Field(
        True, description="Issue ticket params and require payment; false = off-chain devnet."
    )
    ticket_ev: int = Field(
        1_000_000_000, ge=1, description="Expected value of one ticket (wei), `-ticketEV`."
    )
    face_value_multiplier: int = Field(
        100,
        ge=1,
        description="Face value = redemption cost × this (txCostMultiplier); win prob ≈ 1/this.",
    )
    redeem_gas: int = Field(REDEEM_GAS, ge=1, description="Gas of one ticket redemption.")
    gas_price: int | None = Field(
        None,
        ge=0,
        description="Gas price (wei); default ceil(ticket EV / redeem gas): a redemption ≈ 1 EV.",
    )
    max_face_value: int = Field(0, ge=0, description="Cap on face values (wei); 0 = none.")
    sender_deposit: int = Field(DEVNET_DEPOSIT, ge=0, description="Every sender's deposit (wei).")
    sender_reserve: int = Field(DEVNET_RESERVE, ge=0, description="Every sender's reserve (wei).")
    block_time_s: float = Field(
        BLOCK_TIME_S,
        gt=0,
        description="Seconds per L1 block of the devnet chain; change only to test expiry.",
    )
    orch_secret: SecretStr | None = Field(
        None,
        description=(
            "Secret workers send as `Authorization` to `/capability/register` and "
            "`/capability/unregister` (`-orchSecret`); unset refuses every registration."
        ),
    )
    byoc_capabilities: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="BYOC capabilities the built-in demo worker serves (comma-separated).",
    )
    byoc_price: Decimal = Field(
        Decimal(1000), ge=0, description="Price of the demo worker's capabilities, wei per second."
    )
    byoc_capacity: int = Field(4, ge=0, description="Concurrent jobs per demo BYOC capability.")
    byoc_worker_token: SecretStr | None = Field(
        None, description="Bearer token the demo worker requires and is registered with."
    )
    byoc_token_delay_ms: int = Field(
        20, ge=0, description="Pause between the demo worker's streamed tokens."
    )
    byoc_debit_interval_ms: int = Field(
        5000,
        ge=1,
        description=(
            "How often a streamed BYOC answer is debited 5 s of its price (the reference's "
            "5 s); lower only to speed up tests."
        ),
    )

    @field_validator("models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            return [model.strip() for model in value.split(",") if model.strip()]
        return value

    @field_validator("byoc_capabilities", mode="before")
    @classmethod
    def _split_capabilities(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("pipeline_models")
    @classmethod
    def _known_pipelines(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(PIPELINES))
        if unknown:
            raise ValueError(f"unknown pipelines: {', '.join(unknown)}")
        if any(not models for models in value.values()):
            raise ValueError("every listed pipeline needs at least one model")
        return value

    def served_models(self) -> dict[str, list[str]]:
        """Models per declared pipeline: `models` for text-to-image, `pipeline_models` or the
        declaration's default model for the others; duplicates dropped, order kept."""
        served = {
            name: self.pipeline_models.get(name, [pipeline.default_model])
            for name, pipeline in PIPELINES.items()
        }
        served["text-to-image"] = self.models
        return {name: list(dict.fromkeys(models)) for name, models in served.items()}

    @field_validator("key_hex")
    @classmethod
    def _key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        """64 hex digits, optional 0x; the message never repeats the value."""
        if value is None:
            return None
        digits = value.get_secret_value().removeprefix("0x")
        if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError("the key is 64 hexadecimal digits")
        return value

    @field_validator("model_prices")
    @classmethod
    def _non_negative(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if any(price < 0 for price in value.values()):
            raise ValueError("prices are non-negative")
        return value

    def model_price(self, model: str) -> Fraction:
        """Wei per unit for `model` as an exact rational."""
        return Fraction(self.model_prices.get(model, self.price)) / self.pixels_per_unit

    @property
    def byoc_price_per_second(self) -> Fraction:
        return Fraction(self.byoc_price)

    @property
    def transcoding_price_per_unit(self) -> Fraction:
        return Fraction(self.transcoding_price) / self.pixels_per_unit

    @property
    def effective_gas_price(self) -> int:
        if self.gas_price is not None:
            return self.gas_price
        return -(-self.ticket_ev // self.redeem_gas)

    @property
    def uri_host(self) -> str:
        if self.service_host:
            return self.service_host
        return "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
