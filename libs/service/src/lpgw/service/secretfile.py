"""Files that hold one secret (a password, a bearer token): written 0600, read stripped.

Paths may be logged; contents never are.
"""

import os
import secrets
import stat
from pathlib import Path

from lpgw.service.errors import StartupError
from lpgw.service.logs import get_logger

log = get_logger(__name__)


class SecretFileError(StartupError):
    """A secret file is missing, unreadable or empty."""


def read_secret_file(path: Path) -> str:
    """The file's text without surrounding whitespace; warns when others may read it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text().strip()
    except FileNotFoundError:
        raise SecretFileError(f"secret file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretFileError(f"secret file {path} cannot be read: {type(exc).__name__}") from None
    if not text:
        raise SecretFileError(f"secret file {path} is empty")
    if mode & 0o077:
        log.warning("secret_file_readable_by_others", extra={"path": str(path), "mode": oct(mode)})
    return text


def write_secret_file(path: Path, text: str) -> None:
    """Write atomically with mode 0600, creating parent folders with mode 0700."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text + "\n")
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
