"""The README's configuration table is generated from the settings and must not drift."""

from pathlib import Path

from lpgw.service.configdoc import markdown_table
from lpgw.session.settings import SessionSettings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_configuration_table_matches_the_settings() -> None:
    assert markdown_table(SessionSettings) in README.read_text()
