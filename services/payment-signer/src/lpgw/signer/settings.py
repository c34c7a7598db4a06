"""The payment-signer's settings: where the key lives, how it is unlocked, who may call.

Safety rules enforced at load (the process exits with the reason):
- SIGNER_AUTH_DISABLED=true only on a loopback HTTP_HOST;
- a non-loopback HTTP_HOST only with SIGNER_TOKEN_HASHES or SIGNER_TOKEN_FILE set;
- SIGNER_DEV_KEY=true and SIGNER_CHAIN=devnet only with LPGW_ENV=dev.
"""

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Self

from lpgw.signer.payment_settings import PaymentSettings
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

SHA256_HEX_LENGTH = 64
DEFAULT_CLIENT = "default"
_CLIENT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _token_entry(text: str) -> str:
    """`digest` or `name=digest`, normalised (lower-case digest); ValueError otherwise."""
    name, sep, digest = text.strip().rpartition("=")
    digest = digest.strip().lower()
    if len(digest) != SHA256_HEX_LENGTH or not all(c in "0123456789abcdef" for c in digest):
        raise ValueError("each entry must be a sha256 digest in 64 hex digits")
    if not sep:
        return digest
    if not _CLIENT_NAME.fullmatch(name.strip()):
        raise ValueError("a client name is 1-64 letters, digits, `_`, `.` or `-`")
    return f"{name.strip()}={digest}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SignerSettings(PaymentSettings):
    http_port: int = Field(default=8939, ge=0, le=65535, description="Listen port.")
    signer_keystore_path: Path | None = Field(
        default=None,
        description="Ethereum v3 keystore of the gateway key "
        "(default `{SIGNER_DATA_DIR}/keystore.json`).",
    )
    signer_keystore_password: SecretStr | None = Field(
        default=None, description="Password of the keystore."
    )
    signer_keystore_password_file: Path | None = Field(
        default=None,
        description="File holding the keystore password (default with a dev key: "
        "`{SIGNER_DATA_DIR}/keystore.password`).",
    )
    signer_dev_key: bool | None = Field(
        default=None,
        description="Create a random key, password file and keystore if missing; "
        "dev only (default: true in dev, false in prod).",
    )
    signer_token_hashes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated accepted bearer tokens as sha256 hex digests, each "
        "optionally named `client=digest` (the name goes into the audit; unnamed: `default`).",
    )
    signer_token_file: Path | None = Field(
        default=None,
        description="File holding one accepted bearer token (created with mode 0600 in dev "
        "if missing; default in dev without token hashes: `{SIGNER_DATA_DIR}/token`).",
    )
    signer_auth_disabled: bool = Field(
        default=False, description="Accept calls without a token; loopback HTTP_HOST only."
    )
    signer_data_dir: Path = Field(
        default=Path(".data/signer"), description="Folder for dev keys and tokens."
    )

    @field_validator("signer_token_hashes", mode="before")
    @classmethod
    def _split_hashes(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            return tuple(_token_entry(str(part)) for part in value)
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_exposure(self) -> Self:
        if self.signer_keystore_password and self.signer_keystore_password_file:
            raise ValueError(
                "set SIGNER_KEYSTORE_PASSWORD or SIGNER_KEYSTORE_PASSWORD_FILE, not both"
            )
        loopback = is_loopback(self.http_host)
        if self.signer_auth_disabled and not loopback:
            raise ValueError(
                "SIGNER_AUTH_DISABLED=true is refused: HTTP_HOST "
                f"{self.http_host!r} is not a loopback address"
            )
        if not loopback and not self.signer_auth_disabled and not self.tokens_configured:
            raise ValueError(
                f"HTTP_HOST {self.http_host!r} is not a loopback address and no bearer token "
                "is configured: set SIGNER_TOKEN_HASHES or SIGNER_TOKEN_FILE"
            )
        return self

    def prod_problems(self) -> list[str]:
        problems = super().prod_problems()
        if self.signer_dev_key:
            problems.append("SIGNER_DEV_KEY=true is allowed only with LPGW_ENV=dev")
        if self.signer_chain == "devnet":
            problems.append(
                "SIGNER_CHAIN=devnet is allowed only with LPGW_ENV=dev: it derives block numbers "
                "from the clock, so a real orchestrator's ticket params would be refused as "
                "expired (an Arbitrum chain view is not built yet)"
            )
        if self.signer_keystore_path is None:
            problems.append("SIGNER_KEYSTORE_PATH must be set")
        if self.signer_keystore_password is None and self.signer_keystore_password_file is None:
            problems.append("SIGNER_KEYSTORE_PASSWORD or SIGNER_KEYSTORE_PASSWORD_FILE must be set")
        if not self.signer_auth_disabled and not self.tokens_configured:
            problems.append("SIGNER_TOKEN_HASHES or SIGNER_TOKEN_FILE must be set")
        return problems

    @property
    def client_digests(self) -> list[tuple[str, bytes]]:
        """(client name, sha256 digest) of every SIGNER_TOKEN_HASHES entry."""
        pairs = []
        for entry in self.signer_token_hashes:
            name, _, digest = entry.rpartition("=")
            pairs.append((name or DEFAULT_CLIENT, bytes.fromhex(digest)))
        return pairs

    @property
    def tokens_configured(self) -> bool:
        """Whether the operator named accepted tokens (dev defaults do not count)."""
        return bool(self.signer_token_hashes) or self.signer_token_file is not None

    @property
    def dev_key_enabled(self) -> bool:
        return self.is_dev if self.signer_dev_key is None else self.signer_dev_key

    @property
    def keystore_path(self) -> Path:
        return self.signer_keystore_path or self.signer_data_dir / "keystore.json"

    @property
    def password_file(self) -> Path | None:
        if self.signer_keystore_password_file is not None:
            return self.signer_keystore_password_file
        if self.dev_key_enabled and self.signer_keystore_password is None:
            return self.signer_data_dir / "keystore.password"
        return None

    @property
    def token_file(self) -> Path | None:
        if self.signer_token_file is not None:
            return self.signer_token_file
        if self.is_dev and not self.signer_token_hashes and not self.signer_auth_disabled:
            return self.signer_data_dir / "token"
        return None
