"""The README's configuration table is generated from the settings and must not drift."""

from pathlib import Path

from lpgw.delivery.settings import DeliverySettings
from lpgw.service.configdoc import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_configuration_table_matches_the_settings() -> None:
    assert markdown_table(DeliverySettings) in README.read_text()
