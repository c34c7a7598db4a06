"""The README's configuration tables come from the settings classes; they must not drift."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_configuration_tables_match_the_settings_classes() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "config_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
