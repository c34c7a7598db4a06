"""Create the development secrets that compose.yaml and deploy/overlays/dev read.

Usage: python3 deploy/dev_secrets.py DIR

Writes, only where missing, so that a re-run never changes a running stack's credentials:
  DIR/keystore-password   password of the payment-signer's keystore
  DIR/signer-token        bearer token the selector and session present to the signer
  DIR/signer-token-hash   sha256 hex of that token, what the signer is given in Kubernetes

Standard library only, so it runs before any virtualenv exists. Values are random and never
printed. Production secrets are made by the operator instead (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import secrets
import sys
from pathlib import Path

PASSWORD_FILE = "keystore-password"
TOKEN_FILE = "signer-token"
TOKEN_HASH_FILE = "signer-token-hash"

# Compose bind-mounts secret files as they are, owned by the host user; the services run as uid
# 10001, so the files must be world-readable. The folder stays private to the host user.
FILE_MODE = 0o644
DIR_MODE = 0o700


def token_hash(token: str) -> str:
    """The form the signer accepts in SIGNER_TOKEN_HASHES: sha256 hex of the UTF-8 token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _write_new(path: Path, value: str) -> None:
    path.write_text(value)
    path.chmod(FILE_MODE)


def ensure_dev_secrets(directory: Path) -> list[Path]:
    """Create the missing secret files in `directory`; return the files created."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(DIR_MODE)
    created: list[Path] = []
    password = directory / PASSWORD_FILE
    if not password.exists():
        _write_new(password, secrets.token_urlsafe(32))
        created.append(password)
    token = directory / TOKEN_FILE
    if not token.exists():
        _write_new(token, secrets.token_urlsafe(32))
        created.append(token)
    digest = directory / TOKEN_HASH_FILE
    expected = token_hash(token.read_text().strip())
    if not digest.exists() or digest.read_text().strip() != expected:
        _write_new(digest, expected)
        created.append(digest)
    return created


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(f"usage: {argv[0]} DIR\n")
        return 2
    created = ensure_dev_secrets(Path(argv[1]))
    for path in created:
        sys.stdout.write(f"created {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
