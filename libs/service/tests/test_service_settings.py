"""ServiceSettings reads the shared, unprefixed variables and refuses unsafe prod settings."""

import pytest
from lpgw.service.errors import SettingsError, StartupError
from lpgw.service.settings import ServiceSettings, load_settings
from pydantic import Field, SecretStr

COMMON = [
    "NATS_URL",
    "REDIS_URL",
    "BUS_PREFIX",
    "HTTP_HOST",
    "HTTP_PORT",
    "LOG_LEVEL",
    "LPGW_ENV",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*COMMON, "DEMO_PASSWORD"]:
        monkeypatch.delenv(name, raising=False)


class DemoSettings(ServiceSettings):
    http_port: int = Field(default=8999, description="Demo port.")
    demo_password: SecretStr = Field(default=SecretStr("dev-only"), description="Password.")

    def prod_problems(self) -> list[str]:
        problems = super().prod_problems()
        if self.demo_password.get_secret_value() == "dev-only":
            problems.append("DEMO_PASSWORD must be set")
        return problems


def test_defaults_match_the_contract() -> None:
    settings = load_settings(ServiceSettings)
    assert settings.nats_url == "nats://127.0.0.1:4222"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.bus_prefix == "lpgw"
    assert settings.http_host == "127.0.0.1"
    assert settings.log_level == "INFO"
    assert settings.lpgw_env == "dev"
    assert settings.is_dev
    assert settings.otel_exporter_otlp_endpoint is None


def test_unprefixed_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_URL", "nats://10.0.0.1:4222")
    monkeypatch.setenv("BUS_PREFIX", "test-42")
    monkeypatch.setenv("HTTP_PORT", "0")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    settings = load_settings(DemoSettings)
    assert settings.nats_url == "nats://10.0.0.1:4222"
    assert settings.bus_prefix == "test-42"
    assert settings.http_port == 0
    assert settings.log_level == "DEBUG"
    assert settings.otel_exporter_otlp_endpoint == "http://127.0.0.1:4318"


def test_subclass_sets_its_own_port() -> None:
    assert load_settings(DemoSettings).http_port == 8999


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("LPGW_ENV", "staging", id="unknown-env"),
        pytest.param("HTTP_PORT", "70000", id="port-out-of-range"),
        pytest.param("BUS_PREFIX", "a.b", id="prefix-with-dot"),
    ],
)
def test_invalid_values_are_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings(ServiceSettings)


def test_prod_refuses_unsafe_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LPGW_ENV", "prod")
    with pytest.raises(StartupError, match="DEMO_PASSWORD must be set") as caught:
        load_settings(DemoSettings)
    assert "dev-only" not in str(caught.value)


def test_prod_accepts_explicit_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LPGW_ENV", "prod")
    monkeypatch.setenv("DEMO_PASSWORD", "s3cret-value")
    settings = load_settings(DemoSettings)
    assert not settings.is_dev
    assert "s3cret-value" not in repr(settings)


def test_errors_never_echo_input_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PORT", "hunter2-not-a-port")
    with pytest.raises(SettingsError) as caught:
        load_settings(ServiceSettings)
    assert "HTTP_PORT" in str(caught.value)
    assert "hunter2" not in str(caught.value)
