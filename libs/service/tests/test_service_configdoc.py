"""The README configuration table comes from the settings class."""

from pathlib import Path

from lpgw.service.configdoc import markdown_table
from lpgw.service.settings import ServiceSettings
from pydantic import Field, SecretStr


class DemoSettings(ServiceSettings):
    http_port: int = Field(default=8999, description="Demo port.")
    demo_token: SecretStr | None = Field(default=None, description="Bearer token.")
    demo_dir: Path = Field(default=Path(".data/demo"), description="Where | files go.")
    demo_enabled: bool = Field(default=True, description="Switch.")
    demo_name: str = Field(default="", description="Optional name.")
    demo_required: str = Field(description="Must be given.")


def test_one_row_per_variable_with_default_and_description() -> None:
    table = markdown_table(DemoSettings)
    lines = table.splitlines()
    assert lines[0] == "| variable | default | description |"
    assert lines[1] == "|---|---|---|"
    rows = lines[2:]
    assert len(rows) == len(DemoSettings.model_fields)
    assert "| `NATS_URL` | `nats://127.0.0.1:4222` | NATS server with JetStream. |" in rows
    assert "| `HTTP_PORT` | `8999` | Demo port. |" in rows
    assert "| `OTEL_EXPORTER_OTLP_ENDPOINT` | (unset) |" in rows[7]
    assert "| `DEMO_TOKEN` | (secret) | Bearer token. |" in rows
    assert "| `DEMO_DIR` | `.data/demo` | Where \\| files go. |" in rows
    assert "| `DEMO_ENABLED` | `true` | Switch. |" in rows
    assert "| `DEMO_NAME` | (empty) | Optional name. |" in rows
    assert "| `DEMO_REQUIRED` | (required) | Must be given. |" in rows


def test_secret_defaults_are_never_printed() -> None:
    class Leaky(ServiceSettings):
        api_key: SecretStr = Field(default=SecretStr("do-not-print"), description="Key.")

    table = markdown_table(Leaky)
    assert "do-not-print" not in table
    assert "| `API_KEY` | (secret) | Key. |" in table
