"""Orchestrator service URIs: `https://host:port` (TLS) or `http://host:port` (h2c)."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from lpgw.wire.errors import InvalidOrchestratorUrl


@dataclass(frozen=True)
class Endpoint:
    secure: bool
    host: str
    port: int

    @property
    def target(self) -> str:
        """host:port as gRPC dials it (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_orchestrator_url(url: str) -> Endpoint:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidOrchestratorUrl(f"invalid orchestrator url {url!r}") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidOrchestratorUrl(f"orchestrator url must be https:// or http://, got {url!r}")
    secure = parts.scheme == "https"
    return Endpoint(secure, parts.hostname, port or (443 if secure else 80))
