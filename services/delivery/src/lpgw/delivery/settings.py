"""Delivery's configuration: the common service variables plus the DELIVERY_* and VIDEO_* ones."""

from lpgw.service.settings import ServiceSettings
from pydantic import Field


class DeliverySettings(ServiceSettings):
    http_port: int = Field(default=8937, ge=0, le=65535, description="Listen port.")
    delivery_cache_max_age_s: int = Field(
        default=3600,
        ge=0,
        description="`Cache-Control: public, max-age` of served media (files never change).",
    )
    delivery_media_ttl_s: float = Field(
        default=3600.0,
        gt=0,
        description="Age at which media expire, used only if delivery creates the media "
        "stream and bucket before the session does; keep it equal to SESSION_MEDIA_TTL_S.",
    )
    video_retention_s: float = Field(
        default=86400.0,
        gt=0,
        description="Seconds live-video segments are kept, and an ended stream's recording "
        "after its end; the video media store's TTL if delivery creates it, and the "
        "`max-age` of segments. Keep it equal in intake, session and delivery.",
    )
    delivery_fragment_cache_mb: int = Field(
        default=128,
        ge=0,
        description="Memory (MiB) for fMP4 fragments remuxed for DASH; the least recently "
        "used are dropped past it (0 remuxes every request).",
    )
