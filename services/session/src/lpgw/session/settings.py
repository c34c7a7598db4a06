"""Every variable the session service reads (and nothing else reads the environment)."""

from pathlib import Path

from lpgw.service.settings import ServiceSettings
from pydantic import Field, SecretStr


class SessionSettings(ServiceSettings):
    http_port: int = Field(
        8941, ge=0, le=65535, description="Listen port of /healthz, /readyz, /metrics."
    )
    session_max_attempts: int = Field(
        3, ge=1, description="Most orchestrators tried for one job (also bounded by the job)."
    )
    session_attempt_timeout_s: float = Field(
        60.0, gt=0, description="Bound of one orchestrator's answer to a job request."
    )
    session_ack_wait_s: float = Field(
        30.0, gt=0, description="JetStream ack wait; the job is marked in progress every third."
    )
    session_selection_ttl_s: float = Field(
        1.0,
        ge=0,
        description="How long the selector's ranking for a pipeline and model is reused by the "
        "jobs that follow (an orchestrator that fails is dropped from it at once).",
    )
    session_concurrency: int = Field(8, ge=1, description="Jobs worked on at once.")
    session_max_deliver: int = Field(
        5,
        ge=1,
        description="Deliveries of one job; while the signer is down a job is retried 1 s later.",
    )
    session_media_ttl_s: float = Field(
        3600.0, gt=0, description="How long result media stay in the blob store."
    )
    session_max_response_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest orchestrator answer or result media file read, in bytes; a larger one is"
            " an invalid response."
        ),
    )
    signer_url: str = Field(
        "http://127.0.0.1:8939",
        description="Payment-signer base URL; empty = off-chain (no payment, unsigned segments).",
    )
    signer_token: SecretStr | None = Field(None, description="Bearer token for the signer.")
    signer_token_file: Path | None = Field(
        None, description="File holding the signer's bearer token (when SIGNER_TOKEN is unset)."
    )
