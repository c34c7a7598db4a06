"""POST /sign-orchestrator-info returns the OrchestratorRequest address and signature."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from lpgw.eth import PrivateKey, recover_sign
from lpgw.service.health import Readiness
from lpgw.signer.api.app import create_app
from lpgw.signer.api.auth import BearerAuth
from lpgw.signer.keys.signing import OrchestratorInfoSignature, SigningService
from lpgw.signer.payments.audit import BusAudit

SIGN = "/sign-orchestrator-info"


def _vectors() -> list[Any]:
    here = Path(__file__).resolve()
    root = next(p for p in here.parents if (p / "vectors" / "pm.json").exists())
    document = json.loads((root / "vectors" / "pm.json").read_text())
    group = document["groups"]["orchestrator_request_sig"]
    # Only vectors with a key are signing vectors; the others are for verifiers.
    return [pytest.param(v, id=v["id"]) for v in group if "private_key_hex" in v["inputs"]]


async def test_signature_recovers_to_the_returned_address(
    signer: httpx.AsyncClient, auth_header: dict[str, str], key: PrivateKey, helpers: Any
) -> None:
    response = await signer.post(SIGN, headers=auth_header)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"address", "signature"}
    assert body["address"] == key.checksum_address
    signature = helpers.signature_bytes(body["signature"])
    assert recover_sign(body["address"].encode(), signature) == key.address


@pytest.mark.parametrize("vector", _vectors())
async def test_matches_the_orchestrator_request_vectors(
    vector: dict[str, Any], audit: BusAudit
) -> None:
    key = PrivateKey(bytes.fromhex(vector["inputs"]["private_key_hex"]))
    app = create_app(SigningService(key), BearerAuth.off(), Readiness(), audit)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signer") as client:
        body = (await client.post(SIGN)).json()
    assert body["address"] == vector["expected"]["address"]
    assert body["signature"] == "0x" + vector["expected"]["signature_hex"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{}", id="empty-object"),
        pytest.param(b' {"a": 1} ', id="object"),
    ],
)
async def test_empty_or_object_bodies_are_accepted(
    signer: httpx.AsyncClient, auth_header: dict[str, str], content: bytes
) -> None:
    response = await signer.post(SIGN, headers=auth_header, content=content)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"not json", "request body is not JSON", id="not-json"),
        pytest.param(b"[1, 2]", "request body must be a JSON object", id="array"),
    ],
)
async def test_other_bodies_are_400(
    signer: httpx.AsyncClient, auth_header: dict[str, str], content: bytes, message: str
) -> None:
    response = await signer.post(SIGN, headers=auth_header, content=content)
    assert response.status_code == 400
    assert response.json() == {"error": {"message": message}, "detail": {"msg": message}}


async def test_wrong_method_uses_the_envelope(
    signer: httpx.AsyncClient, auth_header: dict[str, str]
) -> None:
    response = await signer.get(SIGN, headers=auth_header)
    assert response.status_code == 405
    assert response.json()["error"]["message"] == "Method Not Allowed"


async def test_signatures_are_counted_by_route(
    signer: httpx.AsyncClient, auth_header: dict[str, str], helpers: Any
) -> None:
    before = await helpers.signatures_counted(signer, SIGN)
    await signer.post(SIGN, headers=auth_header)
    await signer.post(SIGN, headers=auth_header)
    assert await helpers.signatures_counted(signer, SIGN) == before + 2


class _Failing(SigningService):
    def orchestrator_info_signature(self) -> OrchestratorInfoSignature:
        raise RuntimeError("internal detail that must not leak")


async def test_unexpected_errors_are_masked_as_500(key: PrivateKey, audit: BusAudit) -> None:
    app = create_app(_Failing(key), BearerAuth.off(), Readiness(), audit)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://signer") as client:
        response = await client.post(SIGN)
    assert response.status_code == 500
    assert response.json() == {
        "error": {"message": "Internal Server Error"},
        "detail": {"msg": "Internal Server Error"},
    }
