"""SignerSettings refuses exposures that would let anyone spend the deposit."""

import hashlib
from pathlib import Path

import pytest
from lpgw.service.errors import SettingsError
from lpgw.service.settings import load_settings
from lpgw.signer.settings import SignerSettings, is_loopback

DIGEST = hashlib.sha256(b"t").hexdigest()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SignerSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("SIGNER_DATA_DIR", str(tmp_path / "data"))


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> SignerSettings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(SignerSettings)


def test_dev_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = settings(monkeypatch)
    assert s.http_port == 8939
    assert s.dev_key_enabled
    data = tmp_path / "data"
    assert s.keystore_path == data / "keystore.json"
    assert s.password_file == data / "keystore.password"
    assert s.token_file == data / "token"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"HTTP_HOST": "0.0.0.0", "SIGNER_AUTH_DISABLED": "true"},
            "SIGNER_AUTH_DISABLED=true is refused: HTTP_HOST '0.0.0.0' is not a loopback",
            id="auth-disabled-on-all-interfaces",
        ),
        pytest.param(
            {"HTTP_HOST": "10.1.2.3"},
            "no bearer token is configured",
            id="exposed-without-token",
        ),
        pytest.param(
            {"LPGW_ENV": "prod", "SIGNER_DEV_KEY": "true"},
            "SIGNER_DEV_KEY=true is allowed only with LPGW_ENV=dev",
            id="dev-key-in-prod",
        ),
        pytest.param(
            {"SIGNER_SESSION_BUDGET_WEI": "5"},
            "SIGNER_SESSION_BUDGET_WEI is now SIGNER_JOB_BUDGET_WEI",
            id="a renamed budget is refused, not silently dropped",
        ),
        pytest.param(
            {"SIGNER_KEYSTORE_PASSWORD": "a", "SIGNER_KEYSTORE_PASSWORD_FILE": "/x"},
            "not both",
            id="two-passwords",
        ),
        pytest.param(
            {"SIGNER_TOKEN_HASHES": "abc"},
            "SIGNER_TOKEN_HASHES: each entry must be a sha256 digest",
            id="bad-digest",
        ),
        pytest.param(
            {"LPGW_ENV": "prod"},
            "SIGNER_KEYSTORE_PATH must be set; SIGNER_KEYSTORE_PASSWORD or "
            "SIGNER_KEYSTORE_PASSWORD_FILE must be set; SIGNER_TOKEN_HASHES or "
            "SIGNER_TOKEN_FILE must be set",
            id="prod-without-configuration",
        ),
    ],
)
def test_unsafe_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(monkeypatch, **env)
    assert message in str(caught.value)


def test_exposed_with_token_hashes_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, HTTP_HOST="0.0.0.0", SIGNER_TOKEN_HASHES=f" {DIGEST.upper()} ,")
    assert s.signer_token_hashes == (DIGEST,)
    assert s.token_file is None


def test_prod_with_everything_set_is_refused_only_for_the_devnet_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SettingsError) as refused:
        settings(
            monkeypatch,
            LPGW_ENV="prod",
            SIGNER_KEYSTORE_PATH="/keys/k.json",
            SIGNER_KEYSTORE_PASSWORD="pw-in-env",
            SIGNER_TOKEN_FILE="/run/token",
        )
    message = str(refused.value)
    assert "SIGNER_CHAIN=devnet is allowed only with LPGW_ENV=dev" in message
    assert "must be set" not in message and "SIGNER_DEV_KEY" not in message
    assert "pw-in-env" not in message


def test_explicit_key_settings_without_a_dev_key(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(
        monkeypatch,
        SIGNER_DEV_KEY="false",
        SIGNER_KEYSTORE_PATH="/keys/k.json",
        SIGNER_KEYSTORE_PASSWORD="pw-in-env",
        SIGNER_TOKEN_FILE="/run/token",
    )
    assert not s.dev_key_enabled
    assert s.password_file is None
    assert s.token_file == Path("/run/token")
    assert "pw-in-env" not in repr(s)


def test_auth_disabled_on_loopback_needs_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(monkeypatch, HTTP_HOST="::1", SIGNER_AUTH_DISABLED="true")
    assert s.token_file is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("signer.internal", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
