"""lpgw-payment-signer as operators run it: a real process, real files, real HTTP."""

import hashlib
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from lpgw.eth import PrivateKey, recover_sign
from lpgw.eth.keystore import load, save

SIGN = "/sign-orchestrator-info"
pytestmark = pytest.mark.integration


def sign(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url + SIGN, headers=headers, timeout=10)


def test_dev_key_is_created_once_and_reused(
    start_signer: Callable[..., Any], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = start_signer()
    url = first.url()
    assert httpx.get(url + "/healthz", timeout=10).json() == {"status": "ok"}
    token = (data / "token").read_text().strip()
    body = sign(url, token).json()
    assert recover_sign(body["address"].encode(), bytes.fromhex(body["signature"][2:])) == (
        bytes.fromhex(body["address"][2:])
    )
    for name in ("keystore.json", "keystore.password", "token"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    created = first.wait_event("dev_key_created")
    assert created["address"] == body["address"]
    assert first.stop() == 0

    second = start_signer()
    url = second.url()
    assert sign(url, token).json()["address"] == body["address"]
    assert "dev_key_created" not in second.output()
    assert second.stop() == 0


def test_secrets_never_leave_the_process(start_signer: Callable[..., Any], tmp_path: Path) -> None:
    key = PrivateKey.generate()
    password = "pw-" + hashlib.sha256(b"unique").hexdigest()[:20]
    token = "tok-" + hashlib.sha256(b"token").hexdigest()[:20]
    keystore = tmp_path / "prod-key.json"
    save(keystore, key, password, n=2**12)
    proc = start_signer(
        LPGW_ENV="prod",
        LOG_LEVEL="DEBUG",
        SIGNER_KEYSTORE_PATH=str(keystore),
        SIGNER_KEYSTORE_PASSWORD=password,
        SIGNER_TOKEN_HASHES=hashlib.sha256(token.encode()).hexdigest(),
    )
    url = proc.url()
    responses = [
        sign(url, token),
        sign(url, None),
        sign(url, password),
        httpx.post(url + SIGN, content=b"not json", headers={"Authorization": f"Bearer {token}"}),
        httpx.get(url + "/healthz"),
        httpx.get(url + "/readyz"),
        httpx.get(url + "/metrics"),
        httpx.get(url + "/nothing-here"),
    ]
    assert responses[0].json()["address"] == key.checksum_address
    assert [r.status_code for r in responses] == [200, 401, 401, 400, 200, 200, 200, 404]
    assert proc.stop() == 0
    secret_hex = key.secret_bytes().hex()
    seen = proc.output() + "".join(r.text + json.dumps(dict(r.headers)) for r in responses)
    for secret in (password, secret_hex, secret_hex.upper(), token):
        assert secret not in seen


def test_dev_secrets_never_reach_the_logs(start_signer: Callable[..., Any], tmp_path: Path) -> None:
    proc = start_signer(LOG_LEVEL="DEBUG")
    url = proc.url()
    data = tmp_path / "data"
    token = (data / "token").read_text().strip()
    password = (data / "keystore.password").read_text().strip()
    response = sign(url, token)
    assert proc.stop() == 0
    secret_hex = load(data / "keystore.json", password).secret_bytes().hex()
    for secret in (password, secret_hex, token):
        assert secret not in proc.output()
        assert secret not in response.text


def test_auth_disabled_on_all_interfaces_refuses_to_start(
    start_signer: Callable[..., Any],
) -> None:
    proc = start_signer(HTTP_HOST="0.0.0.0", SIGNER_AUTH_DISABLED="true")
    assert proc.wait() != 0
    refused = proc.wait_event("startup_refused")
    assert "SIGNER_AUTH_DISABLED=true is refused" in refused["reason"]
    assert "not a loopback address" in refused["reason"]


def test_exposed_without_token_refuses_to_start(start_signer: Callable[..., Any]) -> None:
    proc = start_signer(HTTP_HOST="0.0.0.0")
    assert proc.wait() != 0
    assert "no bearer token is configured" in proc.wait_event("startup_refused")["reason"]


def test_wrong_password_refuses_to_start_without_echoing_it(
    start_signer: Callable[..., Any], tmp_path: Path
) -> None:
    keystore = tmp_path / "key.json"
    save(keystore, PrivateKey.generate(), "right-password", n=2**10)
    proc = start_signer(
        SIGNER_KEYSTORE_PATH=str(keystore), SIGNER_KEYSTORE_PASSWORD="wrong-password-xyz"
    )
    assert proc.wait() == 2
    reason = proc.wait_event("startup_refused")["reason"]
    assert "keystore password does not unlock the key" in reason
    assert "wrong-password-xyz" not in proc.output()
    assert "right-password" not in proc.output()
