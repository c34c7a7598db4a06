"""Fuzzing the JSON APIs: random and malformed bodies never give a 5xx, and a 4xx changes
nothing (no Redis key, no nonce, no credit, no budget, no audit event)."""

import asyncio
import base64
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lpgw.bus import Bus
from lpgw.bus.events import OrchestratorList, OrchestratorListRequest, OrchestratorSummary
from lpgw.eth import PrivateKey
from lpgw.wire.net import lp_rpc_pb2 as pb

T = TypeVar("T")

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
names = st.text(max_size=200) | st.sampled_from(["27_m", "text-to-image", "m", "", "a" * 129])
hexes = st.binary(max_size=40).map(lambda b: b.hex()) | st.text(
    alphabet="0123456789abcdefxX", max_size=70
)
b64 = st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()) | st.text(max_size=40)
big_ints = st.integers(min_value=-(2**70), max_value=2**70)


@st.composite
def random_info(draw: st.DrawFn) -> str:
    """An OrchestratorInfo of an orchestrator nobody knows, with arbitrary field bytes."""
    info = pb.OrchestratorInfo(
        transcoder=draw(st.text(max_size=30)),
        address=draw(st.binary(max_size=24)),
    )
    if draw(st.booleans()):
        info.price_info.CopyFrom(
            pb.PriceInfo(
                pricePerUnit=draw(st.integers(-(2**63), 2**63 - 1)),
                pixelsPerUnit=draw(st.integers(-(2**63), 2**63 - 1)),
            )
        )
    if draw(st.booleans()):
        info.ticket_params.CopyFrom(
            pb.TicketParams(
                recipient=draw(st.binary(max_size=22)),
                face_value=draw(st.binary(max_size=34)),
                win_prob=draw(st.binary(max_size=34)),
                recipient_rand_hash=draw(st.binary(max_size=33)),
                seed=draw(st.binary(max_size=33)),
                expiration_block=draw(st.binary(max_size=9)),
            )
        )
    info.auth_token.expiration = draw(st.integers(-(2**63), 2**63 - 1))
    return base64.b64encode(info.SerializeToString()).decode()


@st.composite
def varied_info(draw: st.DrawFn, valid_info: str) -> str:
    """The valid offer with another price or auth token expiration. (An expiration Redis
    cannot take as a TTL has its own test in test_signer_sessions.py.)"""
    info = pb.OrchestratorInfo.FromString(base64.b64decode(valid_info))
    if draw(st.booleans()):
        info.price_info.pricePerUnit = draw(st.integers(-(2**63), 2**63 - 1))
        info.price_info.pixelsPerUnit = draw(st.integers(-(2**63), 2**63 - 1))
    else:
        expiration = info.auth_token.expiration
        info.auth_token.expiration = draw(st.integers(expiration - 10**6, expiration + 10**8))
    return base64.b64encode(info.SerializeToString()).decode()


def open_bodies(valid_info: str) -> st.SearchStrategy[Any]:
    body = st.fixed_dictionaries(
        {},
        optional={
            "orchestrator": st.just(valid_info)
            | varied_info(valid_info)
            | random_info()
            | b64
            | anything,
            "pipeline": names | anything,
            "model_id": names | anything,
            "bucket": names | anything,
            "capabilities": b64 | anything,
            "unknown": anything,
        },
    )
    return body | anything


def pay_bodies() -> st.SearchStrategy[Any]:
    segment = st.fixed_dictionaries(
        {}, optional={"seq": big_ints | anything, "hash_hex": hexes, "profiles": anything}
    )
    body = st.fixed_dictionaries(
        {},
        optional={
            "units": big_ints | anything,
            "idempotency_key": st.sampled_from(["made", "settled"]) | names | anything,
            "job": names | anything,
            "segment": segment | anything,
            "account": names | anything,
            "unknown": anything,
        },
    )
    return body | anything


def settle_bodies() -> st.SearchStrategy[Any]:
    body = st.fixed_dictionaries(
        {},
        optional={
            "outcome": st.sampled_from(["received", "spent", "staged", "x", ""]) | anything,
            "debit_units": big_ints | anything,
            "unknown": anything,
        },
    )
    return body | anything


def job_texts() -> st.SearchStrategy[Any]:
    """JSON-ish text (objects, arrays, scalars, broken), sometimes exactly 32 bytes long."""
    documents = anything.map(lambda value: json.dumps(value))
    padded = st.text(max_size=20).map(lambda t: '{"a":' + json.dumps(t) + "}")
    return documents | padded | st.text(max_size=60) | st.just("{" + " " * 28 + "}") | anything


def sign_job_bodies() -> st.SearchStrategy[Any]:
    body = st.fixed_dictionaries(
        {},
        optional={"request": job_texts(), "parameters": job_texts(), "unknown": anything},
    )
    return body | anything


def live_bodies(valid_info: str) -> st.SearchStrategy[Any]:
    body = st.fixed_dictionaries(
        {},
        optional={
            "orchestrator": st.just(valid_info) | random_info() | b64,
            "ManifestID": names | anything,
            "manifestid": names,
            "type": st.sampled_from(["lv2v", "live", "fixed", "", "x"]) | anything,
            "inPixels": big_ints | anything,
            "app": names | anything,
            "maxPrice": st.fixed_dictionaries(
                {},
                optional={
                    "price": big_ints
                    | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=10),
                    "currency": st.sampled_from(["wei", "WEI", "usd"]),
                    "unit": st.sampled_from(["720p-pixel-seconds", "seconds", "fixed", "?"]),
                },
            )
            | anything,
            "state": st.fixed_dictionaries({}, optional={"State": b64, "Sig": b64}) | anything,
            "capabilities": b64,
        },
    )
    return body | anything


async def snapshot(redis: aioredis.Redis, prefix: str, read_audit: Any) -> Any:
    keys = sorted([k async for k in redis.scan_iter(match=f"{prefix}:*")])
    values = []
    for k in keys:
        kind = await redis.type(k)
        values.append((k, await (redis.hgetall(k) if kind == b"hash" else redis.get(k))))
    return values, len(await read_audit())


async def test_random_bodies_never_5xx_and_4xx_change_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
    signer_bus: Bus,
) -> None:
    signer: httpx.AsyncClient = await make_replica(
        key, signer_client_budget_wei=10**13, signer_job_budget_wei=10**12
    )
    valid = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
    loop = asyncio.get_running_loop()
    opened = await helpers.open_session(signer, valid, bucket="27_m", pipeline="p")
    session = opened["session_id"]
    made = await helpers.paid(signer, session, 1, idempotency_key="made")
    settled = await helpers.paid(signer, session, 1, idempotency_key="settled")
    assert (
        await signer.post(f"/v1/payments/{settled['payment_id']}/settle", json={"outcome": "spent"})
    ).status_code == 200
    sessions = st.sampled_from([session, "0" * 32, "nothex", session.upper(), "../x"])
    payments = st.sampled_from(
        [made["payment_id"], settled["payment_id"], "0" * 32, "nothex", "../x"]
    )

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    async def check(method: str, path: str, **kwargs: Any) -> None:
        before = await snapshot(redis, prefix, read_audit)
        response = await signer.request(method, path, **kwargs)
        assert response.status_code < 500, (path, kwargs, response.text)
        body = response.json()
        if isinstance(body, dict) and "error" in body:
            assert isinstance(body["error"]["message"], str)
        if response.status_code >= 400:
            assert await snapshot(redis, prefix, read_audit) == before, (path, kwargs)

    common = settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )

    @common
    @given(open_bodies(valid))
    def opens(body: Any) -> None:
        run(check("POST", "/v1/sessions", json=body))

    @common
    @given(sessions, pay_bodies())
    def pays(session_id: str, body: Any) -> None:
        run(check("POST", f"/v1/sessions/{session_id}/payments", json=body))

    @common
    @given(payments, settle_bodies())
    def settles(payment_id: str, body: Any) -> None:
        run(check("POST", f"/v1/payments/{payment_id}/settle", json=body))

    @common
    @given(live_bodies(valid))
    def live(body: Any) -> None:
        run(check("POST", "/generate-live-payment", json=body))

    @common
    @given(
        st.binary(max_size=300)
        | st.sampled_from(
            [
                b'{"units": 1e999, "idempotency_key": "k"}',
                b'{"maxPrice": {"price": 1e999}}',
                b'{"outcome": "received", "debit_units": 1e999}',
                b"[" * 5000,
                b"{" * 5000,
            ]
        ),
        st.sampled_from(
            [
                "/v1/sessions",
                f"/v1/sessions/{session}/payments",
                f"/v1/payments/{made['payment_id']}/settle",
                "/generate-live-payment",
                "/v1/byoc/sign-job",
            ]
        ),
    )
    def raw_bytes(content: bytes, path: str) -> None:
        run(check("POST", path, content=content))

    @common
    @given(sign_job_bodies())
    def sign_jobs(body: Any) -> None:
        run(check("POST", "/v1/byoc/sign-job", json=body))

    @common
    @given(st.lists(st.text(max_size=140), max_size=40))
    def discovery(caps: list[str]) -> None:
        run(check("GET", "/discover-orchestrators", params=[("caps", c) for c in caps]))

    async def selector(request: OrchestratorListRequest) -> OrchestratorList:
        listed = OrchestratorSummary(url="https://o:1", address="0x01", capabilities=request.caps)
        return OrchestratorList(orchestrators=[listed])

    await signer_bus.serve(
        signer_bus.names.orchestrator_list, "selector", OrchestratorListRequest, selector
    )
    for fuzz in (opens, pays, settles, live, sign_jobs, raw_bytes, discovery):
        await asyncio.to_thread(fuzz)
