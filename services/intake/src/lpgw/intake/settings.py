"""Intake's configuration: the common service variables, the INTAKE_* ones and
VIDEO_RETENTION_S (shared with the services that keep video)."""

import json
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from lpgw.intake.video.keys import KEY_HASH, STREAM_ID
from lpgw.pipelines import DECLARED
from lpgw.service.settings import ServiceSettings
from lpgw.video.profiles import DEFAULT_LADDER, InvalidProfile, VideoProfile, presets
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

MIB = 1024 * 1024
REFERENCE_DEFAULT_MODELS = {pipeline.name: pipeline.default_model for pipeline in DECLARED}
"""The reference gateway's default model per pipeline (ai-api.md §3.11)."""
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
    intake_media_ttl_s: float = Field(
        default=3600.0,
        gt=0,
        description="Age at which uploaded inputs (images, audio, BYOC bodies) expire, used "
        "only if intake creates the media stream before the session does; keep it equal to "
        "SESSION_MEDIA_TTL_S.",
    )
    intake_byoc_max_body_bytes: int = Field(
        default=64 * MIB,
        gt=0,
        description="Largest BYOC request body (larger: 413); each AI pipeline has its own "
        "limit (README, lpgw.pipelines).",
    )
    intake_default_models: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: dict(REFERENCE_DEFAULT_MODELS),
        description="JSON map pipeline -> model used when `model_id` is absent or empty; "
        "merged over the reference defaults.",
    )
    intake_rtmp_enabled: bool = Field(
        default=True, description="Serve RTMP ingest (`rtmp://HOST:PORT/live/{stream key}`)."
    )
    intake_rtmp_host: str | None = Field(
        default=None, description="Listen address of RTMP ingest; unset: `HTTP_HOST`."
    )
    intake_rtmp_port: int = Field(
        default=1935, ge=0, le=65535, description="Listen port of RTMP ingest (0 picks one)."
    )
    intake_segment_s: float = Field(
        default=2.0,
        gt=0,
        le=10,
        description="Target segment duration: a stream is cut at the first keyframe at or "
        "after it.",
    )
    intake_max_segment_s: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="A stream without a keyframe for this long is closed (others carry on).",
    )
    intake_stream_keys: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="JSON map stream id -> SHA-256 (hex) of its stream key; make a key with "
        "`python -m lpgw.intake.video.keys STREAM_ID`.",
    )
    intake_auth_webhook_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^#\s]*)?$",
        description="Auth webhook asked for every stream key not configured and every HTTP "
        'push without a key: `POST {"url": ingest URL}`, 200 accepts (fact 60).',
    )
    intake_default_profiles: str = Field(
        default=",".join(DEFAULT_LADDER),
        description="Renditions of a stream nothing else configures: preset names, "
        "comma-separated (the reference's `-transcodingOptions`).",
    )
    intake_max_streams: int = Field(
        default=10,
        ge=0,
        description="Live streams across all replicas (0: no cap); more are refused.",
    )
    intake_reconnect_grace_s: float = Field(
        default=10.0,
        ge=0,
        description="An RTMP stream ends when its publisher has been gone this long; a "
        "reconnection before resumes it with a discontinuity.",
    )
    intake_http_push: bool = Field(
        default=True,
        description="Serve HTTP push (`PUT /live/{stream}/{seq}.ts`); a push still needs the "
        "stream's key or the auth webhook.",
    )
    intake_push_max_bytes: int = Field(
        default=300_000_000, gt=0, description="Largest pushed segment (larger: 413)."
    )
    intake_push_wait_s: float = Field(
        default=10.0,
        gt=0,
        description="How long a push waits for its segment's renditions (then 504).",
    )
    intake_push_idle_s: float = Field(
        default=60.0, gt=0, description="An HTTP push stream ends after this long without a push."
    )
    intake_streams_api_token: SecretStr | None = Field(
        default=None,
        description="When set, `/streams` requires `Authorization: Bearer <token>`.",
    )
    video_retention_s: float = Field(
        default=86400.0,
        gt=0,
        description="Seconds source segments are kept, and an ended stream's record after its "
        "end; the video media store's TTL if intake creates it. Keep it equal in intake, "
        "session and delivery.",
    )

    @field_validator("intake_stream_keys", mode="before")
    @classmethod
    def _keys_json_text(cls, value: Any) -> Any:
        return _json_object(value)

    @field_validator("intake_stream_keys", mode="after")
    @classmethod
    def _keys_are_hashes(cls, value: dict[str, Any]) -> dict[str, str]:
        bad_ids = sorted(stream_id for stream_id in value if not STREAM_ID.match(stream_id))
        if bad_ids:
            raise ValueError(f"stream ids must match {STREAM_ID.pattern}: {', '.join(bad_ids)}")
        bad = sorted(k for k, v in value.items() if not isinstance(v, str) or not KEY_HASH.match(v))
        if bad:
            raise ValueError(f"not a SHA-256 in lower-case hex for {', '.join(bad)}")
        return value

    @field_validator("intake_default_profiles", mode="after")
    @classmethod
    def _known_presets(cls, value: str) -> str:
        names = _names(value)
        if not names:
            raise ValueError("at least one preset")
        try:
            presets(names)
        except InvalidProfile as exc:
            raise ValueError(str(exc)) from None
        return ",".join(names)

    @model_validator(mode="after")
    def _segment_fits(self) -> Self:
        if self.intake_max_segment_s <= self.intake_segment_s:
            raise ValueError("INTAKE_MAX_SEGMENT_S must be longer than INTAKE_SEGMENT_S")
        return self

    @property
    def rtmp_host(self) -> str:
        return self.intake_rtmp_host or self.http_host

    @property
    def default_profiles(self) -> tuple[VideoProfile, ...]:
        return tuple(presets(_names(self.intake_default_profiles)))

    @field_validator("intake_default_models", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        return _json_object(value)

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

    # API access (issue 8, "keys at the door"; lpgw.intake.access) ------------------------------
    intake_ai_auth: Literal["keys", "webhook", "none"] = Field(
        default="keys",
        description="Who may call the AI and BYOC routes: `keys` (`Authorization: Bearer <API "
        "key>`, keys made with `lpgw-api-keys`), `webhook` (INTAKE_AI_AUTH_WEBHOOK_URL decides) "
        "or `none` (open; development only, refused in prod).",
    )
    intake_ai_auth_webhook_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^#\s]*)?$",
        description='With INTAKE_AI_AUTH=webhook: asked `POST {"url": request URL}` with the '
        "request's `Authorization` header (the reference's `-authWebhookUrl`); 2xx admits (a "
        "JSON `account` names the caller), another status is a 401, no answer a 503.",
    )
    intake_ai_auth_cache_s: float = Field(
        default=10.0,
        ge=0,
        description="How long the webhook's yes is reused for the same `Authorization` and URL "
        "(0: ask every time); a refusal is never reused.",
    )
    intake_api_key_rate_per_minute: int = Field(
        default=600,
        ge=0,
        description="Requests per minute per API key, across every replica, for keys made "
        "without a rate of their own (0: unlimited); past it: 429 with `Retry-After`.",
    )
    intake_api_key_burst: int = Field(
        default=20,
        ge=1,
        description="Requests an API key may send at once before its rate applies.",
    )

    @model_validator(mode="after")
    def _ai_auth_complete(self) -> Self:
        if self.intake_ai_auth == "webhook" and not self.intake_ai_auth_webhook_url:
            raise ValueError("INTAKE_AI_AUTH=webhook needs INTAKE_AI_AUTH_WEBHOOK_URL")
        if self.intake_ai_auth == "none" and self.lpgw_env == "prod":
            raise ValueError("INTAKE_AI_AUTH=none (no access control) is refused in prod")
        return self

    # end of API access ---------------------------------------------------------------------


def _json_object(value: Any) -> Any:
    """Parsed here, not by pydantic-settings, so bad JSON is a named validation error."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a JSON object: {exc}") from None


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())
