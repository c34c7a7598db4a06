"""Delivery's configuration: the common service variables plus the DELIVERY_* ones."""

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
