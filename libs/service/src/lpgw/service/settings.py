"""The settings every service shares; each service subclasses it once and reads nothing else.

Variables are unprefixed (each process has its own environment): NATS_URL, REDIS_URL, ...
In `LPGW_ENV=prod` a subclass's `prod_problems()` lists settings that are only safe in dev,
and loading fails with all of them named.
"""

from typing import Any, Literal, Self, TypeVar

from lpgw.service.errors import SettingsError
from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, frozen=True)

    nats_url: str = Field(
        default="nats://127.0.0.1:4222", description="NATS server with JetStream."
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis or Valkey.")
    bus_prefix: str = Field(
        default="lpgw",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Prefix of every subject, stream and key (tests use a unique one).",
    )
    http_host: str = Field(default="127.0.0.1", description="Listen address of the HTTP server.")
    http_port: int = Field(
        default=8080,
        ge=0,
        le=65535,
        description="Listen port (0 picks a free one; set per service).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Lowest level written to the JSON log on stderr."
    )
    lpgw_env: Literal["dev", "prod"] = Field(
        default="dev", description="`dev` or `prod`; prod refuses unsafe defaults."
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP collector base URL; traces are exported when set."
    )

    @property
    def is_dev(self) -> bool:
        return self.lpgw_env == "dev"

    def prod_problems(self) -> list[str]:
        """Settings unsafe outside dev, as sentences naming variables (never their values).

        Subclasses extend it: `return [*super().prod_problems(), ...]`.
        """
        return []

    @model_validator(mode="before")
    @classmethod
    def _upper_case_log_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("log_level"), str):
            return {**data, "log_level": data["log_level"].upper()}
        return data

    @model_validator(mode="after")
    def _refuse_unsafe_defaults_in_prod(self) -> Self:
        if self.lpgw_env == "prod":
            problems = self.prod_problems()
            if problems:
                raise ValueError("unsafe for LPGW_ENV=prod: " + "; ".join(problems))
        return self


S = TypeVar("S", bound=ServiceSettings)


def describe_errors(error: ValidationError) -> str:
    """One line per problem, naming the variable; input values are left out (secrets)."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in item["loc"]).upper()
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)


def load_settings(cls: type[S]) -> S:
    """Read the environment into `cls`; SettingsError with every problem named otherwise."""
    try:
        return cls()
    except ValidationError as exc:
        raise SettingsError(f"invalid settings: {describe_errors(exc)}") from None
