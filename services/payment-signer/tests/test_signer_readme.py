"""The README's configuration table is the one generated from SignerSettings."""

from pathlib import Path

from lpgw.service.configdoc import markdown_table
from lpgw.signer.settings import SignerSettings


def test_readme_configuration_table_is_current() -> None:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    assert markdown_table(SignerSettings) in readme.read_text()
