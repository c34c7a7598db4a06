"""Settings of the local stack launcher (`lpgw-stack run`): ports and where data lives."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STACK_")

    data_dir: Path = Field(Path(".data"), description="NATS store, Valkey data, signer key, logs")
    nats_port: int = Field(4222, description="NATS client port")
    redis_port: int = Field(6379, description="Valkey port")
    intake_port: int = Field(8935, description="public HTTP API (the reference gateway's port)")
    rtmp_port: int = Field(1935, description="RTMP ingest (intake)")
    delivery_port: int = Field(8937, description="media served at /stream/...")
    signer_port: int = Field(8939, description="payment-signer HTTP API")
    selector_port: int = Field(8940, description="selector health and metrics")
    session_port: int = Field(8941, description="session health and metrics")
    devnet_a_port: int = Field(8950, description="devnet orchestrator A (TLS)")
    devnet_b_port: int = Field(8951, description="devnet orchestrator B (TLS)")
    devnet_a_price: int = Field(1000, description="orchestrator A price, wei per pixel")
    devnet_b_price: int = Field(2000, description="orchestrator B price, wei per pixel")
    prefix: str = Field("lpgw", description="BUS_PREFIX given to every service")
