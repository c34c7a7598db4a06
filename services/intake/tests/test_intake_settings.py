"""Intake's environment: defaults, the default-model map, and what prod refuses."""

import subprocess
import sys

import pytest
from lpgw.intake.settings import IntakeSettings
from lpgw.service.errors import SettingsError
from lpgw.service.settings import load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PORT", "INTAKE_DEFAULT_MODELS", "INTAKE_REQUEST_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(IntakeSettings)
    assert settings.http_port == 8935
    assert settings.intake_request_timeout_s == 120
    assert settings.intake_default_models["text-to-image"] == "stabilityai/sdxl-turbo"


def test_default_models_are_merged_over_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_DEFAULT_MODELS", '{"text-to-image": "ByteDance/SDXL-Lightning"}')
    settings = load_settings(IntakeSettings)
    assert settings.intake_default_models["text-to-image"] == "ByteDance/SDXL-Lightning"
    assert settings.intake_default_models["llm"] == "meta-llama/llama-3.1-8B-Instruct"


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        pytest.param("INTAKE_DEFAULT_MODELS", '{"llm": ""}', "empty default model", id="blank"),
        pytest.param("INTAKE_DEFAULT_MODELS", "not json", "INTAKE_DEFAULT_MODELS", id="bad json"),
        pytest.param("INTAKE_MEDIA_BASE_URL", "/stream", "INTAKE_MEDIA_BASE_URL", id="relative"),
        pytest.param(
            "INTAKE_BYOC_MAX_BODY_BYTES", "0", "INTAKE_BYOC_MAX_BODY_BYTES", id="no byoc body"
        ),
    ],
)
def test_invalid_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=problem):
        load_settings(IntakeSettings)


def test_prod_refuses_a_loopback_media_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LPGW_ENV", "prod")
    monkeypatch.delenv("INTAKE_MEDIA_BASE_URL", raising=False)
    with pytest.raises(SettingsError, match="INTAKE_MEDIA_BASE_URL"):
        load_settings(IntakeSettings)
    monkeypatch.setenv("INTAKE_MEDIA_BASE_URL", "https://media.example.com")
    assert load_settings(IntakeSettings).intake_media_base_url == "https://media.example.com"


def test_the_core_imports_no_io_library() -> None:
    """Validation, job building and reply mapping run without NATS, HTTP servers or Redis."""
    core = ["validation", "ai.jobs", "byoc.request", "ai.media_urls", "errors", "replies"]
    code = (
        "import sys\n"
        + "".join(f"import lpgw.intake.{name}\n" for name in core)
        + "print(sorted(m for m in ('nats', 'fastapi', 'starlette', 'redis', 'httpx') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
