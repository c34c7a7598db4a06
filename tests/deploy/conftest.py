"""What the deploy files must agree with: the workspace's console scripts and the contract.

The contract's environment variables, console scripts and ports are restated here because the
deploy files must follow them. The code is checked too: console scripts are read from the
members' pyproject files and each service's settings class is loaded with a deploy file's
variables, so a renamed script or setting breaks these tests.
"""

import importlib
import inspect
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

REPO_ROOT = Path(__file__).resolve().parents[2]

COMMON_ENV = frozenset(
    {
        "NATS_URL",
        "REDIS_URL",
        "BUS_PREFIX",
        "HTTP_HOST",
        "HTTP_PORT",
        "LOG_LEVEL",
        "LPGW_ENV",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    }
)
SIGNER_CLIENT_ENV = frozenset({"SIGNER_URL", "SIGNER_TOKEN", "SIGNER_TOKEN_FILE"})

CONTRACT_ENV: dict[str, frozenset[str]] = {
    "intake": COMMON_ENV
    | {
        "INTAKE_MEDIA_BASE_URL",
        "INTAKE_REQUEST_TIMEOUT_S",
        "INTAKE_MAX_BODY_BYTES",
        "INTAKE_DEFAULT_MODELS",
        "INTAKE_RTMP_PORT",
        "INTAKE_STREAM_KEYS",
        "INTAKE_AUTH_WEBHOOK_URL",
        "INTAKE_MAX_STREAMS",
        "INTAKE_STREAMS_API_TOKEN",
        "VIDEO_RETENTION_S",
    },
    "selector": COMMON_ENV
    | SIGNER_CLIENT_ENV
    | {"SELECTOR_ORCHESTRATORS", "SELECTOR_PROBE_INTERVAL_S"},
    "session": COMMON_ENV
    | SIGNER_CLIENT_ENV
    | {
        "SESSION_MAX_ATTEMPTS",
        "SESSION_ATTEMPT_TIMEOUT_S",
        "SESSION_ACK_WAIT_S",
        "SESSION_CONCURRENCY",
        "SESSION_MEDIA_TTL_S",
        "SESSION_VIDEO_MAX_PRICE",
        "VIDEO_RETENTION_S",
    },
    "payment-signer": COMMON_ENV
    | {
        "SIGNER_KEYSTORE_PATH",
        "SIGNER_KEYSTORE_PASSWORD",
        "SIGNER_KEYSTORE_PASSWORD_FILE",
        "SIGNER_DEV_KEY",
        "SIGNER_TOKEN_HASHES",
        "SIGNER_TOKEN_FILE",
        "SIGNER_DATA_DIR",
    },
    "delivery": COMMON_ENV | {"DELIVERY_CACHE_MAX_AGE_S", "VIDEO_RETENTION_S"},
    "devnet": frozenset({"DEVNET_PORT"}),
}

CONTRACT_SCRIPTS = {
    "intake": "lpgw-intake",
    "selector": "lpgw-selector",
    "session": "lpgw-session",
    "payment-signer": "lpgw-payment-signer",
    "delivery": "lpgw-delivery",
    "devnet": "lpgw-devnet",
}

CONTRACT_PORTS = {
    "intake": 8935,
    "delivery": 8937,
    "payment-signer": 8939,
    "selector": 8940,
    "session": 8941,
    "devnet": 8950,
}

SETTINGS_MODULES = {
    "intake": "lpgw.intake.settings",
    "selector": "lpgw.selector.settings",
    "session": "lpgw.session.settings",
    "payment-signer": "lpgw.signer.settings",
    "delivery": "lpgw.delivery.settings",
    "devnet": "lpgw.devnet.settings",
}

# Variables whose values are secrets: never written literally in a deploy file.
SECRET_ENV = frozenset({"SIGNER_KEYSTORE_PASSWORD", "SIGNER_TOKEN", "SIGNER_TOKEN_HASHES"})


def service_kind(name: str) -> str:
    """The contract's service a deployed name runs: devnet-a and devnet-b are both `devnet`."""
    return "devnet" if name.startswith("devnet") else name


def settings_class(kind: str) -> type[BaseSettings] | None:
    """The settings class a service reads its environment with; None while it is not written."""
    name = SETTINGS_MODULES[kind]
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise
    found = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseSettings) and cls.__module__ == module.__name__
    ]
    assert len(found) == 1, f"{module.__name__} defines one settings class"
    return found[0]


def load_service_settings(kind: str, env: dict[str, str]) -> BaseSettings | None:
    """Build the service's settings from a deploy file's variables, as the process would.

    Raises the settings' validation error when the deploy file sets a variable the class does
    not have or a combination it refuses (for example prod with unsafe defaults).
    """
    cls = settings_class(kind)
    if cls is None:
        return None
    prefix = str(cls.model_config.get("env_prefix", ""))
    fields: dict[str, Any] = {}
    for name, value in env.items():
        field = name.lower().removeprefix(prefix.lower())
        assert name.upper().startswith(prefix.upper()), f"{name} lacks the prefix {prefix}"
        assert field in cls.model_fields, f"{name} is not a setting of {cls.__name__}"
        fields[field] = value
    return isolated(cls)(**fields)


def isolated(cls: type[BaseSettings]) -> type[BaseSettings]:
    """`cls` reading only the values passed to it, not this test process's environment."""

    def only_init(
        owner: type[BaseSettings],
        target: type[BaseSettings],
        /,
        init_settings: PydanticBaseSettingsSource,
        **other_sources: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    return type(cls.__name__, (cls,), {"settings_customise_sources": classmethod(only_init)})


def workspace_members(root: Path) -> list[Path]:
    """Member folders, expanded from the root pyproject's [tool.uv.workspace] globs."""
    config = tomllib.loads((root / "pyproject.toml").read_text())
    members: list[Path] = []
    for pattern in config["tool"]["uv"]["workspace"]["members"]:
        members.extend(p for p in sorted(root.glob(pattern)) if (p / "pyproject.toml").is_file())
    return members


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def console_scripts() -> frozenset[str]:
    """Every [project.scripts] name declared by a workspace member."""
    names: set[str] = set()
    for member in workspace_members(REPO_ROOT):
        config = tomllib.loads((member / "pyproject.toml").read_text())
        names.update(config.get("project", {}).get("scripts", {}))
    return frozenset(names)


@pytest.fixture(scope="session")
def contract_env() -> dict[str, frozenset[str]]:
    return CONTRACT_ENV


@pytest.fixture(scope="session")
def contract_scripts() -> dict[str, str]:
    return CONTRACT_SCRIPTS


@pytest.fixture(scope="session")
def contract_ports() -> dict[str, int]:
    return CONTRACT_PORTS


@pytest.fixture(scope="session")
def secret_env() -> frozenset[str]:
    return SECRET_ENV


@pytest.fixture(scope="session")
def kind_of() -> Callable[[str], str]:
    return service_kind


@pytest.fixture(scope="session")
def member_dirs() -> list[Path]:
    return workspace_members(REPO_ROOT)


@pytest.fixture(scope="session")
def settings_loader() -> Callable[[str, dict[str, str]], BaseSettings | None]:
    return load_service_settings
