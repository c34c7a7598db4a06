"""deploy/dev_secrets.py: makes the dev secrets once, keeps them on re-runs, never prints them."""

import hashlib
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def run_script(repo_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(repo_root / "deploy" / "dev_secrets.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def secrets_dir(repo_root: Path, tmp_path: Path) -> Path:
    target = tmp_path / "secrets"
    result = run_script(repo_root, str(target))
    assert result.returncode == 0, result.stderr
    return target


def test_creates_password_token_and_matching_hash(secrets_dir: Path) -> None:
    password = (secrets_dir / "keystore-password").read_text()
    token = (secrets_dir / "signer-token").read_text()
    digest = (secrets_dir / "signer-token-hash").read_text()
    assert len(password) >= 32 and len(token) >= 32 and password != token
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700


def test_rerun_keeps_existing_values_and_prints_no_secret(
    repo_root: Path, secrets_dir: Path
) -> None:
    before = {p.name: p.read_text() for p in secrets_dir.iterdir()}
    result = run_script(repo_root, str(secrets_dir))
    assert result.returncode == 0
    assert result.stdout == ""
    assert {p.name: p.read_text() for p in secrets_dir.iterdir()} == before


def test_hash_follows_a_replaced_token(repo_root: Path, secrets_dir: Path) -> None:
    (secrets_dir / "signer-token").write_text("operator-chosen-token\n")
    result = run_script(repo_root, str(secrets_dir))
    assert result.returncode == 0
    assert "operator-chosen-token" not in result.stdout + result.stderr
    expected = hashlib.sha256(b"operator-chosen-token").hexdigest()
    assert (secrets_dir / "signer-token-hash").read_text() == expected


def test_usage_error_without_a_folder(repo_root: Path) -> None:
    result = run_script(repo_root)
    assert result.returncode == 2
    assert "usage" in result.stderr
