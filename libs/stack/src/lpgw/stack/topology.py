"""The gateway's process layout: which children run, with which settings, in which order.

`make run` and the end-to-end tests start the same topology, so what the tests check is what a
user runs. Servers (NATS, Valkey) are started separately by the caller and passed in by URL.
"""

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lpgw.stack.devkeys import new_api_key
from lpgw.stack.ports import free_port
from lpgw.stack.process import Supervisor
from lpgw.stack.readiness import http_ok

HOST = "127.0.0.1"
SERVICES = ("payment-signer", "delivery", "selector", "session", "intake")


@dataclass(frozen=True)
class DevnetSpec:
    """One devnet orchestrator: its name, price (wei per unit) and extra `lpgw-devnet` flags."""

    name: str
    price: int
    plain: bool = False
    port: int | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ports:
    intake: int = 8935
    delivery: int = 8937
    signer: int = 8939
    selector: int = 8940
    session: int = 8941
    rtmp: int = 1935

    @classmethod
    def free(cls) -> "Ports":
        return cls(*(free_port(HOST) for _ in range(6)))


@dataclass
class Gateway:
    """Where the running gateway answers."""

    intake_url: str
    delivery_url: str
    signer_url: str
    signer_token_file: Path
    health_urls: dict[str, str]
    rtmp_url: str = ""
    """`rtmp://host:port/live`; a publisher appends `/{stream key}`."""
    orchestrators: dict[str, str] = field(default_factory=dict)
    api_key: str = field(default="", repr=False)
    """An API key for the AI routes (`Authorization: Bearer {api_key}`)."""

    @property
    def auth(self) -> dict[str, str]:
        """The header an application sends on the AI and BYOC routes."""
        return {"Authorization": f"Bearer {self.api_key}"}


def script(name: str) -> str:
    """A console script of this environment (they sit beside the interpreter)."""
    return str(Path(sys.executable).parent / name)


def start_devnet(supervisor: Supervisor, spec: DevnetSpec) -> str:
    port = spec.port or free_port(HOST)
    scheme = "http" if spec.plain else "https"
    url = f"{scheme}://{HOST}:{port}"
    argv = [script("lpgw-devnet"), "--port", str(port), "--price", str(spec.price)]
    argv += ["--plain"] if spec.plain else []
    supervisor.start(spec.name, [*argv, *spec.flags], ready=http_ok(f"{url}/healthz"))
    return url


def start_gateway(
    supervisor: Supervisor,
    *,
    nats_url: str,
    redis_url: str,
    prefix: str,
    data_dir: Path,
    ports: Ports,
    orchestrators: list[str],
    stream_keys: dict[str, str] | None = None,
    overrides: dict[str, dict[str, str]] | None = None,
    api_key: str | None = None,
) -> Gateway:
    """Start the five services (signer first: the selector needs its signature) and wait until
    each answers /healthz. `stream_keys` maps stream ids to their RTMP keys (given to intake
    hashed); `overrides` adds environment variables per service name. Intake checks API keys
    (`INTAKE_AI_AUTH=keys`): `Gateway.api_key` is `api_key` (a key the caller made, as
    `make run` does) or else a new key made here in Redis under `prefix`."""
    overrides = overrides or {}
    signer_dir = data_dir / "signer"
    token_file = signer_dir / "token"
    common = {
        "NATS_URL": nats_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": prefix,
        "HTTP_HOST": HOST,
        "LPGW_ENV": "dev",
    }
    signer_url = f"http://{HOST}:{ports.signer}"
    delivery_url = f"http://{HOST}:{ports.delivery}"
    signer_client = {"SIGNER_URL": signer_url, "SIGNER_TOKEN_FILE": str(token_file)}
    env: dict[str, dict[str, str]] = {
        "payment-signer": {
            "HTTP_PORT": str(ports.signer),
            "SIGNER_DATA_DIR": str(signer_dir),
            "SIGNER_DEV_KEY": "true",
            "SIGNER_TOKEN_FILE": str(token_file),
        },
        "delivery": {"HTTP_PORT": str(ports.delivery)},
        "selector": {
            "HTTP_PORT": str(ports.selector),
            "SELECTOR_ORCHESTRATORS": ",".join(orchestrators),
            **signer_client,
        },
        "session": {"HTTP_PORT": str(ports.session), **signer_client},
        "intake": {
            "HTTP_PORT": str(ports.intake),
            "INTAKE_MEDIA_BASE_URL": delivery_url,
            "INTAKE_RTMP_PORT": str(ports.rtmp),
            "INTAKE_AI_AUTH": "keys",
            "INTAKE_STREAM_KEYS": json.dumps(
                {stream: hashed_key(key) for stream, key in (stream_keys or {}).items()}
            ),
        },
    }
    port_of = {
        "payment-signer": ports.signer,
        "delivery": ports.delivery,
        "selector": ports.selector,
        "session": ports.session,
        "intake": ports.intake,
    }
    health: dict[str, str] = {}
    for name in SERVICES:
        health[name] = f"http://{HOST}:{port_of[name]}/healthz"
        supervisor.start(
            name,
            [script(f"lpgw-{name}")],
            env={**common, **env[name], **overrides.get(name, {})},
            ready=http_ok(health[name]),
        )
    return Gateway(
        api_key=api_key or new_api_key(redis_url, prefix, "lpgw-stack"),
        intake_url=f"http://{HOST}:{ports.intake}",
        delivery_url=delivery_url,
        signer_url=signer_url,
        signer_token_file=token_file,
        health_urls=health,
        rtmp_url=f"rtmp://{HOST}:{ports.rtmp}/live",
    )


def hashed_key(key: str) -> str:
    """How intake stores a stream key: sha256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()
