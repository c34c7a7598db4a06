"""Every variable the session service reads (and nothing else reads the environment)."""

from fractions import Fraction
from pathlib import Path

from lpgw.service.settings import ServiceSettings
from pydantic import Field, SecretStr, field_validator


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
    session_media_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Longest download of one result file (image, video, audio) from an "
        "orchestrator's store; the job's deadline bounds it too.",
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

    # Live video -------------------------------------------------------------------------------
    session_video_enabled: bool = Field(
        True, description="Work live streams (transcoding) as well as AI jobs."
    )
    session_video_max_streams: int = Field(
        100, ge=1, description="Most live streams this process works at once."
    )
    session_video_max_attempts: int = Field(
        3,
        ge=1,
        description="Most orchestrators tried for one segment before it is delivered "
        "as source only.",
    )
    session_video_budget_factor: float = Field(
        3.0,
        gt=0,
        description="A segment's time budget for every attempt together, in segment durations "
        "(at least 4 s); past it the source alone is delivered.",
    )
    session_video_max_price: str = Field(
        "0",
        description="Highest transcoding price accepted, wei per pixel (an integer or num/den); "
        "0 = no ceiling. Applied at selection and on every orchestrator answer.",
    )
    session_video_lease_s: float = Field(
        3.0,
        gt=0.5,
        description="Lease on a stream: when its worker dies, another takes the stream over "
        "after at most this long plus one scan.",
    )
    session_video_idle_end_s: float = Field(
        120.0, gt=0, description="A live stream without input for this long is ended."
    )
    video_retention_s: float = Field(
        86400.0, gt=0, description="How long segments and renditions (the recordings) are kept."
    )

    @field_validator("session_video_max_price")
    @classmethod
    def _rational(cls, value: str) -> str:
        try:
            if Fraction(value) < 0:
                raise ValueError
        except (ValueError, ZeroDivisionError):
            raise ValueError("must be a non-negative integer or num/den") from None
        return value
