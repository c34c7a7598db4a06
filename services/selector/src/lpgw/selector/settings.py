"""Every variable the selector reads (and nothing else reads the environment)."""

from pathlib import Path

from lpgw.service.settings import ServiceSettings
from pydantic import Field, SecretStr


class SelectorSettings(ServiceSettings):
    http_port: int = Field(
        8940, ge=0, le=65535, description="Listen port of /healthz, /readyz, /metrics."
    )
    selector_orchestrators: str = Field(
        "",
        description="Comma-separated orchestrator URLs to probe, e.g. "
        "https://127.0.0.1:8950,http://127.0.0.1:8951.",
    )
    selector_probe_interval_s: float = Field(
        30.0, gt=0, description="Seconds between two probes of every orchestrator."
    )
    selector_probe_timeout_s: float = Field(
        6.0, gt=0, description="Bound of one GetOrchestrator probe (the reference's hard cutoff)."
    )
    signer_url: str = Field(
        "http://127.0.0.1:8939",
        description="Payment-signer base URL; empty = off-chain (empty address and signature).",
    )
    signer_token: SecretStr | None = Field(None, description="Bearer token for the payment-signer.")
    signer_token_file: Path | None = Field(
        None,
        description="File holding the signer's bearer token (used when SIGNER_TOKEN is unset).",
    )

    @property
    def orchestrator_urls(self) -> list[str]:
        """Configured URLs, trimmed, empty entries and duplicates dropped, order kept."""
        urls = (u.strip() for u in self.selector_orchestrators.split(","))
        return list(dict.fromkeys(u for u in urls if u))

    @property
    def stale_after_s(self) -> float:
        """A probe answer older than this no longer counts (three missed rounds)."""
        return max(3 * self.selector_probe_interval_s, 30.0)
