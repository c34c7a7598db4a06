"""Intake's configuration: the common service variables plus the INTAKE_* ones."""

import json
from typing import Annotated, Any
from urllib.parse import urlsplit

from lpgw.intake.pipelines import REFERENCE_DEFAULT_MODELS
from lpgw.service.settings import ServiceSettings
from pydantic import Field, field_validator
from pydantic_settings import NoDecode

MIB = 1024 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class IntakeSettings(ServiceSettings):
    http_port: int = Field(default=8935, ge=0, le=65535, description="Listen port of the API.")
    intake_media_base_url: str = Field(
        default="http://127.0.0.1:8937",
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="Public base URL of the delivery service; result media urls become "
        "`{INTAKE_MEDIA_BASE_URL}/stream/{job_id}/{file}`.",
    )
    intake_request_timeout_s: float = Field(
        default=120.0, gt=0, description="How long a request waits for its result (then 504)."
    )
    intake_max_body_bytes: int = Field(
        default=10 * MIB, gt=0, description="Largest accepted request body (larger: 413)."
    )
    intake_default_models: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: dict(REFERENCE_DEFAULT_MODELS),
        description="JSON map pipeline -> model used when `model_id` is absent or empty; "
        "merged over the reference defaults.",
    )
    intake_rtmp_port: int = Field(
        default=1935, ge=0, le=65535, description="Reserved for RTMP ingest (not served yet)."
    )

    @field_validator("intake_default_models", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        """Parsed here, not by pydantic-settings, so bad JSON is a named validation error."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a JSON object: {exc}") from None

    @field_validator("intake_default_models", mode="after")
    @classmethod
    def _over_reference_defaults(cls, value: dict[str, Any]) -> dict[str, str]:
        blank = sorted(pipeline for pipeline, model in value.items() if not model)
        if blank:
            raise ValueError(f"empty default model for {', '.join(blank)}")
        return {**REFERENCE_DEFAULT_MODELS, **value}

    def prod_problems(self) -> list[str]:
        problems = super().prod_problems()
        if urlsplit(self.intake_media_base_url).hostname in LOOPBACK_HOSTS:
            problems.append("INTAKE_MEDIA_BASE_URL must be the delivery service's public URL")
        return problems
