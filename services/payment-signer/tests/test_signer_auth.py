"""Every route but health and metrics needs `Authorization: Bearer <token>`."""

import httpx
import pytest
from lpgw.eth import PrivateKey
from lpgw.service.health import Readiness
from lpgw.signer.api.app import create_app
from lpgw.signer.api.auth import BearerAuth, bearer_token, token_digest
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.payments.audit import BusAudit

SIGN = "/sign-orchestrator-info"
# The token the `signer` fixture accepts (conftest.TOKEN); parameters need it at collection.
TOKEN = "test-token-0123456789"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer wrong-token"}, id="wrong-token"),
        pytest.param({"Authorization": f"Basic {TOKEN}"}, id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer "}, id="empty-token"),
        pytest.param({"Authorization": f"Bearer {TOKEN}x"}, id="longer-token"),
        pytest.param({"Authorization": f"Bearer {TOKEN[:-1]}"}, id="token-prefix"),
    ],
)
async def test_calls_without_the_right_token_get_401(
    signer: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await signer.post(SIGN, headers=headers)
    assert response.status_code == 401
    message = "missing or invalid bearer token"
    assert response.json() == {"error": {"message": message}, "detail": {"msg": message}}
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_the_right_token_is_accepted(
    signer: httpx.AsyncClient, token: str, scheme: str
) -> None:
    response = await signer.post(SIGN, headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_health_and_metrics_need_no_token(signer: httpx.AsyncClient, path: str) -> None:
    assert (await signer.get(path)).status_code == 200


async def test_api_docs_are_not_served(signer: httpx.AsyncClient) -> None:
    for path in ("/docs", "/openapi.json"):
        response = await signer.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "Not Found"


async def test_disabled_auth_accepts_any_call(key: PrivateKey, audit: BusAudit) -> None:
    app = create_app(SigningService(key), BearerAuth.off(), Readiness(), audit)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signer") as client:
        assert (await client.post(SIGN)).status_code == 200


def test_named_clients_are_told_apart() -> None:
    auth = BearerAuth([("alice", token_digest("a-token")), token_digest(TOKEN)])
    assert auth.client("Bearer a-token") == "alice"
    assert auth.client(f"Bearer {TOKEN}") == "default"
    assert auth.client("Bearer nobody") is None


def test_tokens_are_held_only_as_digests() -> None:
    hex_digest = token_digest(TOKEN).hex()
    auth = BearerAuth.from_hex([hex_digest])
    assert auth.allows(f"Bearer {TOKEN}")
    assert not auth.allows("Bearer other")
    assert TOKEN not in repr(vars(auth))


@pytest.mark.parametrize(
    ("header", "token"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("Bearer abc", "abc", id="bearer"),
        pytest.param("  BEARER   abc  ", "abc", id="case-and-spaces"),
        pytest.param("Token abc", None, id="other-scheme"),
        pytest.param("Bearer", None, id="no-token"),
    ],
)
def test_bearer_header_parsing(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token
