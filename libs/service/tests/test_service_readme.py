"""The README's configuration table is the one generated from ServiceSettings."""

from pathlib import Path

from lpgw.service.configdoc import markdown_table
from lpgw.service.settings import ServiceSettings


def test_readme_configuration_table_is_current() -> None:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    assert markdown_table(ServiceSettings) in readme.read_text()
