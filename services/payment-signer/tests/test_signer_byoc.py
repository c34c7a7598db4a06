"""BYOC through the signer: POST /v1/byoc/sign-job (wire.md §4.4), and payment sessions on the
OrchestratorInfo a gateway builds from a `/process/token` JobToken (no auth token)."""

import json
from collections.abc import AsyncIterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
from lpgw.bus.events import SignatureAudit
from lpgw.eth import PrivateKey, recover_personal, recover_sign
from lpgw.service.health import Readiness
from lpgw.signer.api.app import create_app
from lpgw.signer.api.auth import BearerAuth, token_digest
from lpgw.signer.errors import Unavailable
from lpgw.signer.keys.jobs import MAX_JOB_BYTES
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.payments.audit import BusAudit
from lpgw.signer.payments.sessions import MAX_SESSION_TTL_S
from lpgw.wire.net import lp_rpc_pb2 as pb

SIGN_JOB = "/v1/byoc/sign-job"
TOKEN = "byoc-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REQUEST = '{"run":"echo","timeout_seconds":30}'
PARAMETERS = '{"orchestrators":{"exclude":[]}}'


def _job_vectors() -> list[Any]:
    here = Path(__file__).resolve()
    root = next(p for p in here.parents if (p / "vectors" / "pm.json").exists())
    group = json.loads((root / "vectors" / "pm.json").read_text())["groups"]["byoc"]
    return [pytest.param(v, id=v["id"]) for v in group if "request" in v["inputs"]]


def _app_client(key: PrivateKey, audit: Any) -> httpx.AsyncClient:
    app = create_app(SigningService(key), BearerAuth([token_digest(TOKEN)]), Readiness(), audit)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://signer")


@pytest.fixture
async def signer(key: PrivateKey, audit: BusAudit) -> AsyncIterator[httpx.AsyncClient]:
    async with _app_client(key, audit) as client:
        yield client


async def sign_job(
    signer: httpx.AsyncClient, request: object = REQUEST, parameters: object = PARAMETERS
) -> httpx.Response:
    return await signer.post(
        SIGN_JOB, headers=AUTH, json={"request": request, "parameters": parameters}
    )


# --- POST /v1/byoc/sign-job ---------------------------------------------------------------


async def test_the_job_signature_recovers_to_the_sender(
    signer: httpx.AsyncClient, key: PrivateKey, helpers: Any
) -> None:
    response = await sign_job(signer)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"sender", "sig"}
    assert body["sender"] == key.checksum_address
    sig = helpers.signature_bytes(body["sig"])
    assert recover_sign((REQUEST + PARAMETERS).encode(), sig) == key.address


async def test_non_ascii_text_is_signed_as_utf8(signer: httpx.AsyncClient, key: PrivateKey) -> None:
    request = '{"prompt":"café ☕ 東京"}'
    response = await sign_job(signer, request, "{}")

    assert response.status_code == 200, response.text
    sig = bytes.fromhex(response.json()["sig"][2:])
    assert recover_sign((request + "{}").encode("utf-8"), sig) == key.address


@pytest.mark.parametrize("vector", _job_vectors())
async def test_matches_the_byoc_job_vectors(vector: dict[str, Any], audit: BusAudit) -> None:
    key = PrivateKey(bytes.fromhex(vector["inputs"]["private_key_hex"]))
    async with _app_client(key, audit) as client:
        response = await sign_job(
            client, vector["inputs"]["request"], vector["inputs"]["parameters"]
        )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "sender": vector["expected"]["sender"],
        "sig": vector["expected"]["sig"],
    }


async def test_each_job_signature_is_audited_and_counted(
    signer: httpx.AsyncClient, read_audit: Any, helpers: Any
) -> None:
    before = await helpers.signatures_counted(signer, SIGN_JOB)
    assert (await sign_job(signer)).status_code == 200
    assert (await sign_job(signer, parameters="{}")).status_code == 200
    assert (await sign_job(signer, request="[]")).status_code == 400

    assert await helpers.signatures_counted(signer, SIGN_JOB) == before + 2
    events: list[SignatureAudit] = await read_audit()
    assert [(e.route, e.client, e.tickets, e.ev) for e in events] == [
        (SIGN_JOB, "default", 0, "0"),
        (SIGN_JOB, "default", 0, "0"),
    ]


class _NoAudit:
    """An audit stream that stores nothing."""

    available = False

    async def record(self, event: SignatureAudit, msg_id: str) -> None:
        raise Unavailable("audit stream unavailable")


async def test_no_audit_no_job_signature(key: PrivateKey) -> None:
    async with _app_client(key, _NoAudit()) as client:
        response = await sign_job(client)
    assert response.status_code == 503
    assert response.json()["error"] == {"message": "audit stream unavailable"}
    assert "sig" not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer wrong"}, id="wrong-token"),
    ],
)
async def test_signing_a_job_needs_the_token(
    signer: httpx.AsyncClient, headers: dict[str, str], read_audit: Any
) -> None:
    response = await signer.post(
        SIGN_JOB, headers=headers, json={"request": REQUEST, "parameters": PARAMETERS}
    )
    assert response.status_code == 401
    assert "sig" not in response.json()
    assert await read_audit() == []


def _of_length(length: int) -> str:
    """A request that, with parameters "{}", is `length` bytes."""
    filler = length - len('{"a":""}') - len("{}")
    return '{"a":"' + "x" * filler + '"}'


EXACTLY_32 = (
    "request and parameters of exactly 32 bytes are not signed (the length of a ticket hash); "
    "add whitespace"
)
TOO_LONG = f"request and parameters exceed {MAX_JOB_BYTES} bytes"


def _refused(request: object, parameters: object, message: str, id: str) -> Any:
    """A table case: the body {request, parameters} and the 400's message."""
    return pytest.param({"request": request, "parameters": parameters}, message, id=id)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        _refused(_of_length(32), "{}", EXACTLY_32, "32-bytes-is-the-length-of-a-ticket-hash"),
        _refused("{" + " " * 28 + "}", "{}", EXACTLY_32, "32-bytes-of-whitespace"),
        _refused("not json", "{}", "request is not JSON", "request-not-json"),
        _refused(REQUEST, "{", "parameters is not JSON", "parameters-not-json"),
        _refused("[1, 2]", "{}", "request must be a JSON object", "request-an-array"),
        _refused(REQUEST, '"text"', "parameters must be a JSON object", "parameters-a-string"),
        _refused(
            REQUEST, "", 'parameters must not be empty (send "{}" for none)', "parameters-empty"
        ),
        _refused("", "{}", "request must not be empty", "empty"),
        _refused('{"a":"\x00"}', "{}", "request is not JSON", "raw-nul-in-a-string"),
        _refused("[" * 5000, "{}", "request is not JSON", "deep-nesting"),
        _refused(_of_length(MAX_JOB_BYTES + 1), "{}", TOO_LONG, "too-long-together"),
        _refused(
            '{"a":"' + "é" * (MAX_JOB_BYTES // 2) + '"}', "{}", TOO_LONG, "too-long-in-utf8-bytes"
        ),
        pytest.param(
            {"request": REQUEST, "parameters": "{}", "sender": "0x00"},
            "sender: Extra inputs are not permitted",
            id="unknown-field",
        ),
        _refused(
            {"run": "echo"}, "{}", "request: Input should be a valid string", "request-not-text"
        ),
        pytest.param({"parameters": "{}"}, "request: Field required", id="request-missing"),
    ],
)
async def test_text_that_cannot_be_signed_is_400(
    signer: httpx.AsyncClient, body: dict[str, Any], message: str, read_audit: Any
) -> None:
    response = await signer.post(SIGN_JOB, headers=AUTH, json=body)

    assert response.status_code == 400, response.text
    assert response.json() == {"error": {"message": message}, "detail": {"msg": message}}
    assert await read_audit() == []


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not json", id="not-json"),
        pytest.param(b'["{}", "{}"]', id="array"),
        pytest.param(b'{"request": "{}", "parameters": "{}"', id="truncated"),
    ],
)
async def test_a_body_that_is_not_the_json_object_is_400(
    signer: httpx.AsyncClient, content: bytes
) -> None:
    response = await signer.post(SIGN_JOB, headers=AUTH, content=content)
    assert response.status_code == 400, response.text
    assert isinstance(response.json()["error"]["message"], str)


async def test_one_byte_either_side_of_32_is_signed(
    signer: httpx.AsyncClient, key: PrivateKey
) -> None:
    for length in (31, 33):
        request = _of_length(length)
        response = await sign_job(signer, request, "{}")
        assert response.status_code == 200, (length, response.text)
        sig = bytes.fromhex(response.json()["sig"][2:])
        assert recover_sign((request + "{}").encode(), sig) == key.address


async def test_a_job_signature_is_no_personal_signature_of_its_text(
    signer: httpx.AsyncClient, key: PrivateKey
) -> None:
    """Sign(m) is PersonalSign(keccak256(m)): the raw text, which a ticket hash would be, is
    never what is signed."""
    response = await sign_job(signer)
    sig = bytes.fromhex(response.json()["sig"][2:])
    assert recover_personal((REQUEST + PARAMETERS).encode(), sig) != key.address


# --- payment sessions on a BYOC JobToken's offer (no auth token) ---------------------------


def job_token_offer(
    orchestrator: Any, sender: bytes, price: tuple[int, int]
) -> pb.OrchestratorInfo:
    """What a gateway builds from a `/process/token` JobToken: ticket params, price per second
    and the service address as `transcoder`; no auth token."""
    info: pb.OrchestratorInfo = orchestrator.info(sender, price=price)
    info.ClearField("auth_token")
    info.ClearField("address")
    assert not info.HasField("auth_token")
    return info


async def test_a_session_without_an_auth_token_pays_seconds_with_tickets(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    clock = helpers.Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock, transcoder="https://byoc.test:8935")
    signer = await make_replica(key, clock=clock)
    info = job_token_offer(orchestrator, key.address, price=(2_000_000_000, 1))  # wei per second

    opened = await helpers.open_session(
        signer, info, bucket="echo", pipeline="byoc", model_id="echo"
    )

    assert opened["expires_at"] == int(clock.now) + MAX_SESSION_TTL_S
    assert opened["price"] == "2000000000"
    ev = Fraction(opened["ticket_ev"])
    answer = await helpers.paid(signer, opened["session_id"], 30, job="job-1")  # 30 s
    fee = Fraction(2_000_000_000 * 30)
    assert answer["tickets"] == helpers.spec_tickets(Fraction(0), fee, ev) > 0
    assert answer["fee"] == str(fee)
    outcome = orchestrator.receive(answer["payment"])
    assert outcome.credit == answer["tickets"] * ev, "every ticket accepted by the recipient"
    helpers.check_segment(answer["segment"], key.address)

    # Another replica takes the session's payments, with the same expiry.
    other = await make_replica(key, clock=clock)
    again = await helpers.paid(other, opened["session_id"], 30)
    assert orchestrator.receive(again["payment"]).credit == again["tickets"] * ev


async def test_a_session_without_an_auth_token_is_refreshed_by_its_params(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    """The params expire long before MAX_SESSION_TTL_S: each payment on expired ones is a 480
    naming the orchestrator, as with a token, and the session ends with its own expiry."""
    clock = helpers.Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock, transcoder="https://byoc.test:8935")
    signer = await make_replica(key, clock=clock)
    info = job_token_offer(orchestrator, key.address, price=(1000, 1))
    opened = await helpers.open_session(signer, info, bucket="echo")
    assert (await helpers.pay(signer, opened["session_id"], 5)).status_code == 200

    clock.now += 39 * 12  # 39 of the params' 40 blocks
    refused = await helpers.pay(signer, opened["session_id"], 5)
    assert refused.status_code == 480, refused.text
    assert refused.json()["error"]["message"] == "ticket params expired: refresh the session"
    assert refused.headers["Livepeer-Orchestrator-URL"] == "https://byoc.test:8935"

    clock.now = opened["expires_at"]
    gone = await helpers.pay(signer, opened["session_id"], 5)
    assert gone.status_code == 404, gone.text


async def test_a_free_offer_without_an_auth_token_opens_a_free_session(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, with_params=False)
    info.ClearField("auth_token")
    opened = await helpers.open_session(signer, info, bucket="echo")
    assert opened["ticket_ev"] == "0" and "payment" in opened
    assert (await helpers.pay(signer, opened["session_id"], 5)).status_code == 200


async def test_live_payments_still_need_an_auth_token(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    """Only payment sessions take tokenless offers; /generate-live-payment is unchanged."""
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(1, 1))
    info.ClearField("auth_token")
    response = await signer.post(
        "/generate-live-payment",
        json={"orchestrator": helpers.b64info(info), "ManifestID": "m1", "type": "lv2v"},
    )
    assert response.status_code == 480, response.text
