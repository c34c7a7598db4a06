"""BYOC on the devnet (wire.md §7.6): tokens, paid jobs forwarded to the built-in demo worker,
registration, event streams with their balance lines, and what a job costs.

Real devnet processes, each with the demo worker serving capability `demo` at 1000 wei per
second; the test holds the gateway's key and builds headers with lpgw.wire.byoc and tickets as
a payment-signer does (the `payment` fixture), paying on the token's ticket params.
"""

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
import pytest
from lpgw.devnet.byoc.errors import NoCapacity, RegistrationRefused
from lpgw.devnet.byoc.registry import CapabilityRegistry, Registration
from lpgw.devnet.byoc.worker import sleep_seconds, stream_tokens
from lpgw.devnet.launcher import RunningDevnet, start_fleet
from lpgw.eth import PrivateKey, to_checksum
from lpgw.pm import TicketParams
from lpgw.pm.chain import DevnetChain, validate_params
from lpgw.pm.ev import float_string
from lpgw.pm.rationals import parse_rat
from lpgw.wire.byoc import (
    JobRequest,
    JobToken,
    balance_event,
    eth_address_header,
    token_as_orchestrator_info,
)
from lpgw.wire.client import OrchestratorClient
from lpgw.wire.headers import encode_payment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import build_orchestrator_request, sign_orchestrator_request

SECRET = "devnet-orch-secret"
WORKER_TOKEN = "demo-worker-token"
PRICE = 1000
CAPACITY = 2
DEBIT_INTERVAL_S = 0.1
COMMON = (
    "--plain",
    *("--byoc-capability", "demo", "--byoc-price", str(PRICE)),
    *("--byoc-capacity", str(CAPACITY), "--orch-secret", SECRET),
    *("--byoc-worker-token", WORKER_TOKEN, "--byoc-token-delay-ms", "10"),
    *("--byoc-debit-interval-ms", str(int(DEBIT_INTERVAL_S * 1000))),
)
FLEET = {"paid": COMMON, "off_chain": (*COMMON, "--no-payments")}

Pay = Callable[..., pb.Payment]
SenderParams = Callable[[pb.OrchestratorInfo], TicketParams]


@pytest.fixture(scope="module")
def devnets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningDevnet]]:
    with start_fleet(FLEET, tmp_path_factory.mktemp("byoc")) as running:
        yield running


@pytest.fixture
def paid(devnets: dict[str, RunningDevnet]) -> RunningDevnet:
    return devnets["paid"]


@pytest.fixture
def off_chain(devnets: dict[str, RunningDevnet]) -> RunningDevnet:
    return devnets["off_chain"]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
def gateway() -> PrivateKey:
    """A fresh sender per test, so each reads its own balance."""
    return PrivateKey.generate()


# --- the gateway side ------------------------------------------------------------------------


def eth_header(key: PrivateKey) -> str:
    address, sig = sign_orchestrator_request(key)
    return eth_address_header(to_checksum(address), sig)


async def get_token(
    http: httpx.AsyncClient, devnet: RunningDevnet, headers: dict[str, str]
) -> httpx.Response:
    return await http.get(f"{devnet.url}/process/token", headers=headers)


async def token_for(
    http: httpx.AsyncClient, devnet: RunningDevnet, key: PrivateKey, capability: str = "demo"
) -> JobToken:
    response = await get_token(
        http, devnet, {"Livepeer-Eth-Address": eth_header(key), "Livepeer-Capability": capability}
    )
    assert response.status_code == 200, response.text
    return JobToken.from_json(response.json())


def job_header(
    key: PrivateKey, capability: str = "demo", timeout: int = 10, request: str = "{}"
) -> str:
    job = JobRequest(request=request, capability=capability, timeout_seconds=timeout)
    return job.signed(key).encode()


async def submit(
    http: httpx.AsyncClient,
    devnet: RunningDevnet,
    route: str,
    body: object,
    *,
    job: str,
    payment: pb.Payment | None = None,
) -> httpx.Response:
    headers = {"Livepeer": job, "Livepeer-Payment": encode_payment(payment)}
    return await http.post(f"{devnet.url}/process/request/{route}", json=body, headers=headers)


async def one_ticket(
    http: httpx.AsyncClient,
    devnet: RunningDevnet,
    key: PrivateKey,
    payment: Pay,
    capability: str = "demo",
) -> pb.Payment:
    """A payment of one ticket on the params of a fresh token, as a gateway pays."""
    token = await token_for(http, devnet, key, capability)
    return payment(token_as_orchestrator_info(token), key, [1])


async def ledger_entry(
    http: httpx.AsyncClient, devnet: RunningDevnet, key: PrivateKey
) -> dict[str, Any]:
    ledger = (await http.get(f"{devnet.url}/ledger")).json()
    entry: dict[str, Any] = ledger["senders"].get(to_checksum(key.address), {})
    return entry


async def balance_of(
    http: httpx.AsyncClient, devnet: RunningDevnet, key: PrivateKey, capability: str = "demo"
) -> Fraction:
    buckets = (await ledger_entry(http, devnet, key)).get("buckets", {})
    return parse_rat(buckets.get(capability, "0"))


async def register(
    http: httpx.AsyncClient, devnet: RunningDevnet, body: object, secret: str = SECRET
) -> httpx.Response:
    return await http.post(
        f"{devnet.url}/capability/register",
        content=json.dumps(body).encode(),
        headers={"Authorization": secret},
    )


async def unregister(http: httpx.AsyncClient, devnet: RunningDevnet, name: str) -> None:
    response = await http.post(
        f"{devnet.url}/capability/unregister",
        content=name.encode(),
        headers={"Authorization": SECRET},
    )
    assert (response.status_code, response.text) == (200, "ok")


def worker_registration(
    devnet: RunningDevnet, name: str, *, price: int = PRICE, token: str = WORKER_TOKEN
) -> dict[str, object]:
    assert devnet.byoc_worker_url is not None
    return {
        "name": name,
        "url": devnet.byoc_worker_url,
        "capacity": 1,
        "price_per_unit": price,
        "price_scaling": 1,
        "currency": "WEI",
        "token": token,
    }


# --- tokens ----------------------------------------------------------------------------------


async def test_a_token_carries_params_price_capacity_for_the_signed_sender(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, sender_params: SenderParams
) -> None:
    response = await get_token(
        http, paid, {"Livepeer-Eth-Address": eth_header(gateway), "Livepeer-Capability": "demo"}
    )
    token = JobToken.from_json(response.json())

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {
        "sender_address",
        "ticket_params",
        "price",
        "service_addr",
        "available_capacity",
        "LastNonce",
    }  # no balance yet: zero values are left out
    assert token.sender_address is not None
    assert token.sender_address.addr == gateway.checksum_address
    assert token.price == pb.PriceInfo(pricePerUnit=PRICE, pixelsPerUnit=1)
    assert (token.service_addr, token.available_capacity) == (paid.url, CAPACITY)
    info = token_as_orchestrator_info(token)
    validate_params(DevnetChain(), sender_params(info), sender=gateway.address)
    assert to_checksum(info.address) == paid.address


async def test_an_off_chain_token_is_free_and_has_no_params(
    off_chain: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey
) -> None:
    response = await get_token(
        http,
        off_chain,
        {"Livepeer-Eth-Address": eth_header(gateway), "Livepeer-Capability": "demo"},
    )

    sender = JobToken.from_json(response.json()).sender_address
    assert sender is not None
    assert response.json() == {
        "sender_address": sender.to_json(),
        "price": {"pixelsPerUnit": 1},
        "service_addr": off_chain.url,
        "available_capacity": CAPACITY,
        "LastNonce": 0,
    }


@pytest.mark.parametrize(
    ("headers", "status", "text"),
    [
        pytest.param(
            {"Livepeer-Capability": "demo"},
            400,
            "Must have eth address and signature on address in Livepeer-Eth-Address header",
            id="no eth address",
        ),
        pytest.param(
            {"Livepeer-Eth-Address": "%%%", "Livepeer-Capability": "demo"},
            400,
            "Invalid eth address header ",
            id="undecodable eth address",
        ),
        pytest.param(
            {
                "Livepeer-Eth-Address": eth_address_header(
                    PrivateKey.generate().checksum_address,
                    sign_orchestrator_request(PrivateKey.generate())[1],
                ),
                "Livepeer-Capability": "demo",
            },
            400,
            "Invalid eth address header ",
            id="signed by another key",
        ),
        pytest.param(
            {"Livepeer-Eth-Address": "SIGNED"},
            400,
            "Job capabilities not provided, must provide comma separated capabilities in "
            "Livepeer-Capability header",
            id="no capability",
        ),
    ],
)
async def test_token_refusals(
    paid: RunningDevnet,
    http: httpx.AsyncClient,
    gateway: PrivateKey,
    headers: dict[str, str],
    status: int,
    text: str,
) -> None:
    sent = {k: eth_header(gateway) if v == "SIGNED" else v for k, v in headers.items()}

    response = await get_token(http, paid, sent)

    assert (response.status_code, response.text) == (status, text + "\n")


async def test_only_get_fetches_a_token(paid: RunningDevnet, http: httpx.AsyncClient) -> None:
    response = await http.post(f"{paid.url}/process/token")

    assert (response.status_code, response.text) == (405, "Method not allowed\n")


async def test_an_unregistered_capability_has_no_capacity(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey
) -> None:
    token = await token_for(http, paid, gateway, "nobody-serves-this")

    assert token.available_capacity == 0
    assert token.price_per_second == 0 and token.ticket_params is None


# --- paid jobs -------------------------------------------------------------------------------


async def test_a_paid_echo_job_is_forwarded_and_charged_per_second(
    paid: RunningDevnet,
    http: httpx.AsyncClient,
    gateway: PrivateKey,
    payment: Pay,
    sender_params: SenderParams,
) -> None:
    token = await token_for(http, paid, gateway)
    info = token_as_orchestrator_info(token)
    ev = sender_params(info).ev

    response = await submit(
        http,
        paid,
        "echo",
        {"hello": "world"},
        job=job_header(gateway),
        payment=payment(info, gateway, [1]),
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"hello": "world"}
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.headers["x-metadata"]) == {"route": "echo", "bytes": 17}
    balance = ev - PRICE  # well under a second: one second charged
    assert response.headers["livepeer-balance"] == float_string(balance, 0)
    entry = await ledger_entry(http, paid, gateway)
    assert {name: parse_rat(amount) for name, amount in entry["buckets"].items()} == {
        "demo": balance
    }
    assert parse_rat(entry["debited"]) == PRICE
    again = await token_for(http, paid, gateway)
    assert again.balance == int(balance)


async def test_a_job_is_charged_each_started_second(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, payment: Pay
) -> None:
    first = await submit(
        http,
        paid,
        "echo",
        {},
        job=job_header(gateway),
        payment=await one_ticket(http, paid, gateway, payment),
    )
    before = await balance_of(http, paid, gateway)

    response = await submit(http, paid, "sleep", {"seconds": 1.2}, job=job_header(gateway))

    after = await balance_of(http, paid, gateway)
    assert first.status_code == 200 and response.status_code == 200, response.text
    assert response.json() == {"slept": 1.2}
    assert before - after == 2 * PRICE  # ceil(1.2 s and a little) = 2 s
    assert response.headers["livepeer-balance"] == float_string(after, 0)


def forged(gateway: PrivateKey) -> str:
    """Signed by another key, in the gateway's name."""
    job = JobRequest(capability="demo", timeout_seconds=5).signed(PrivateKey.generate())
    return replace(job, sender=gateway.checksum_address).encode()


@pytest.mark.parametrize(
    ("job", "status", "text"),
    [
        pytest.param(job_header, 400, "Insufficient balance for request", id="unpaid"),
        pytest.param(forged, 400, "Could not verify job creds", id="signed by another key"),
        pytest.param(
            lambda key: JobRequest(capability="demo").signed(key).encode(),
            400,
            "no timeout_seconds set with request, timeout_seconds is required",
            id="no timeout",
        ),
        pytest.param(lambda _: "%%%", 400, "Could not verify job creds", id="undecodable"),
        pytest.param(
            lambda key: job_header(key, "unknown"),
            503,
            "No capacity available for capability",
            id="capability not registered",
        ),
    ],
)
async def test_job_refusals(
    paid: RunningDevnet,
    http: httpx.AsyncClient,
    gateway: PrivateKey,
    job: Callable[[PrivateKey], str],
    status: int,
    text: str,
) -> None:
    response = await submit(http, paid, "echo", {}, job=job(gateway))

    assert (response.status_code, response.text) == (status, text + "\n")


async def test_a_request_that_is_not_a_json_object_is_refused_and_frees_its_slot(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, payment: Pay
) -> None:
    sent = await one_ticket(http, paid, gateway, payment)

    response = await submit(
        http, paid, "echo", {}, job=job_header(gateway, request="[1]"), payment=sent
    )

    assert response.status_code == 400
    assert response.text.startswith("Unable to unmarshal job request details err=")
    assert (await token_for(http, paid, gateway)).available_capacity == CAPACITY


async def test_worker_errors_pass_through_and_are_charged(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, payment: Pay
) -> None:
    sent = await one_ticket(http, paid, gateway, payment)

    response = await submit(http, paid, "fail", {}, job=job_header(gateway), payment=sent)

    assert (response.status_code, response.text) == (500, "worker failure\n")
    balance = await balance_of(http, paid, gateway)
    assert response.headers["livepeer-balance"] == float_string(balance, 0)
    assert parse_rat((await ledger_entry(http, paid, gateway))["debited"]) == PRICE


async def test_a_worker_past_the_timeout_is_500_and_charged(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, payment: Pay
) -> None:
    sent = await one_ticket(http, paid, gateway, payment)

    response = await submit(
        http, paid, "sleep", {"seconds": 3}, job=job_header(gateway, timeout=1), payment=sent
    )

    assert response.status_code == 500
    assert response.text == (
        "job not able to be processed, removing capability err=context deadline exceeded\n"
    )
    assert parse_rat((await ledger_entry(http, paid, gateway))["debited"]) in (PRICE, 2 * PRICE)
    assert (await token_for(http, paid, gateway)).available_capacity == CAPACITY  # kept


async def test_no_free_slot_is_503_until_one_frees(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, payment: Pay
) -> None:
    sent = await one_ticket(http, paid, gateway, payment)
    assert (await submit(http, paid, "echo", {}, job=job_header(gateway), payment=sent)).is_success
    busy = [
        asyncio.create_task(submit(http, paid, "sleep", {"seconds": 1}, job=job_header(gateway)))
        for _ in range(CAPACITY)
    ]
    await asyncio.sleep(0.4)

    during = await token_for(http, paid, gateway)
    refused = await submit(http, paid, "echo", {}, job=job_header(gateway))
    finished = await asyncio.gather(*busy)

    assert during.available_capacity == 0
    assert (refused.status_code, refused.text) == (503, "No capacity available for capability\n")
    assert all(response.status_code == 200 for response in finished)
    assert (await token_for(http, paid, gateway)).available_capacity == CAPACITY


async def test_an_off_chain_devnet_serves_unpaid_unchecked_jobs(
    off_chain: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey
) -> None:
    unsigned = JobRequest(capability="demo", timeout_seconds=5, sender=gateway.checksum_address)

    response = await submit(http, off_chain, "echo", [1, 2], job=unsigned.encode())

    assert response.status_code == 200, response.text
    assert response.json() == [1, 2]
    assert response.headers["livepeer-balance"] == "0"


# --- event streams ---------------------------------------------------------------------------


async def stream_lines(
    http: httpx.AsyncClient, devnet: RunningDevnet, body: object, job: str
) -> tuple[httpx.Response, list[str]]:
    lines: list[str] = []
    async with http.stream(
        "POST", f"{devnet.url}/process/request/stream", json=body, headers={"Livepeer": job}
    ) as response:
        async for line in response.aiter_lines():
            lines.append(line)
    return response, [line for line in lines if line]


async def test_a_stream_is_relayed_with_its_balance_before_done(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, payment: Pay
) -> None:
    sent = await one_ticket(http, paid, gateway, payment)
    assert (await submit(http, paid, "echo", {}, job=job_header(gateway), payment=sent)).is_success
    start_balance = await balance_of(http, paid, gateway)

    response, lines = await stream_lines(
        http, paid, {"prompt": "one two three"}, job_header(gateway)
    )

    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["livepeer-payment-balance"] == float_string(start_balance, 0)
    assert [json.loads(line[len("data: ") :])["token"] for line in lines[:3]] == [
        "one",
        "two",
        "three",
    ]
    assert lines[-1] == "data: [DONE]"
    shown = balance_event(lines[-2])
    debits = [start_balance - ticks * 5 * PRICE for ticks in range(10)]  # 5 s per tick, if any
    assert shown in [Decimal(float_string(balance, 3)) for balance in debits]


async def test_a_stream_ends_when_the_balance_runs_out(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, payment: Pay
) -> None:
    price = 16_000_000  # one ticket (EV 10⁹) covers the 60 s minimum, and ~62 s of stream
    response = await register(http, paid, worker_registration(paid, "pricey", price=price))
    assert (response.status_code, response.text) == (200, "ok")
    sent = await one_ticket(http, paid, gateway, payment, "pricey")
    job = job_header(gateway, "pricey", timeout=30)
    body = {"prompt": "tick", "max_tokens": 1000, "delay_ms": 20}

    async with http.stream(
        "POST",
        f"{paid.url}/process/request/stream",
        json=body,
        headers={"Livepeer": job, "Livepeer-Payment": encode_payment(sent)},
    ) as streamed:
        lines = [line async for line in streamed.aiter_lines() if line]

    assert streamed.status_code == 200
    assert lines[-3:] == ["event: insufficient balance", 'data: {"balance": 0}', "data: [DONE]"]
    assert len(lines) < 1000 / 2  # cut short: 13 debits of 5 s at 0.1 s, not 20 s of tokens
    assert await balance_of(http, paid, gateway, "pricey") < 0
    await unregister(http, paid, "pricey")


async def test_a_gateway_leaving_a_stream_stops_the_charge_and_frees_the_slot(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey, payment: Pay
) -> None:
    sent = await one_ticket(http, paid, gateway, payment)
    assert (await submit(http, paid, "echo", {}, job=job_header(gateway), payment=sent)).is_success
    body = {"prompt": "on and on", "max_tokens": 1000, "delay_ms": 50}

    async with (
        httpx.AsyncClient(timeout=10.0) as leaving,
        leaving.stream(
            "POST",
            f"{paid.url}/process/request/stream",
            json=body,
            headers={"Livepeer": job_header(gateway, timeout=60)},
        ) as streamed,
    ):
        seen = 0
        async for line in streamed.aiter_lines():
            seen += bool(line)
            if seen == 8:  # 0.35 s in: several 0.1 s debits have been made
                break
        during = await token_for(http, paid, gateway)
        charged = parse_rat((await ledger_entry(http, paid, gateway))["debited"])

    freed = False
    for _ in range(40):
        if (await token_for(http, paid, gateway)).available_capacity == CAPACITY:
            freed = True
            break
        await asyncio.sleep(0.05)
    after_leaving = parse_rat((await ledger_entry(http, paid, gateway))["debited"])
    await asyncio.sleep(10 * DEBIT_INTERVAL_S)
    later = parse_rat((await ledger_entry(http, paid, gateway))["debited"])

    assert during.available_capacity == CAPACITY - 1
    assert charged > PRICE  # the echo's second, then 5 s per tick
    assert freed
    assert later == after_leaving


# --- registration ----------------------------------------------------------------------------


async def test_a_worker_registers_as_the_reference_registers_containers(
    paid: RunningDevnet, http: httpx.AsyncClient, gateway: PrivateKey
) -> None:
    response = await register(http, paid, worker_registration(paid, "echo2", price=7))
    token = await token_for(http, paid, gateway, "echo2")
    address, sig = sign_orchestrator_request(gateway)
    general = await OrchestratorClient().get_orchestrator(
        paid.url, build_orchestrator_request(address, sig), timeout=5.0
    )
    await unregister(http, paid, "echo2")
    gone = await token_for(http, paid, gateway, "echo2")

    assert (response.status_code, response.text) == (200, "ok")
    assert token.available_capacity == 1 and token.price_per_second == 7
    listed = {(p.capability, p.constraint): p.pricePerUnit for p in general.capabilities_prices}
    assert listed[(37, "demo")] == PRICE and listed[(37, "echo2")] == 7
    assert gone.available_capacity == 0


@pytest.mark.parametrize(
    ("body", "secret", "text"),
    [
        pytest.param({"name": "x"}, "wrong", "invalid authorization", id="wrong secret"),
        pytest.param("not an object", SECRET, "Error registering capability: ", id="not JSON"),
        pytest.param(
            {"name": "x", "url": "ftp://w"}, SECRET, "Error registering capability: ", id="url"
        ),
    ],
)
async def test_registration_refusals(
    paid: RunningDevnet, http: httpx.AsyncClient, body: object, secret: str, text: str
) -> None:
    response = await register(http, paid, body, secret)

    assert response.status_code == 400
    assert response.text.startswith(text)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("name", "url", "token"),
    [
        pytest.param("gone", "CLOSED", WORKER_TOKEN, id="worker unreachable"),
        pytest.param("locked", "WORKER", "wrong-token", id="worker answers 401"),
    ],
)
async def test_a_failing_worker_is_unregistered(
    paid: RunningDevnet,
    http: httpx.AsyncClient,
    gateway: PrivateKey,
    payment: Pay,
    name: str,
    url: str,
    token: str,
) -> None:
    registration = worker_registration(paid, name, token=token)
    if url == "CLOSED":
        registration["url"] = f"http://127.0.0.1:{closed_port()}"
    assert (await register(http, paid, registration)).status_code == 200
    sent = await one_ticket(http, paid, gateway, payment, name)

    response = await submit(http, paid, "echo", {}, job=job_header(gateway, name), payment=sent)

    assert response.status_code == 500
    assert response.text.startswith("job not able to be processed, removing capability err=")
    assert (await token_for(http, paid, gateway, name)).available_capacity == 0


# --- the registry and the demo worker, in-process --------------------------------------------


def test_slots_are_held_until_released_and_survive_a_new_registration() -> None:
    registry = CapabilityRegistry()
    registry.register(Registration(name="c", url="http://w", capacity=1, price=Fraction(1)))

    slot = registry.reserve("c")
    with pytest.raises(NoCapacity):
        registry.reserve("c")
    registry.register(Registration(name="c", url="http://w2", capacity=1, price=Fraction(2)))
    assert registry.free("c") == 0
    slot.release()
    slot.release()

    assert registry.free("c") == 1
    registry.unregister("c")
    registry.unregister("c")
    assert registry.free("c") == 0
    with pytest.raises(NoCapacity):
        registry.reserve("c")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"name": "a", "url": "http://w:1/", "capacity": 2, "price_per_unit": 10},
            Registration(name="a", url="http://w:1", capacity=2, price=Fraction(10)),
            id="scaling defaults to 1",
        ),
        pytest.param(
            {
                "name": "a",
                "url": "https://w",
                "capacity": 1,
                "price_per_unit": 10,
                "price_scaling": 4,
                "currency": "wei",
                "token": "t",
                "description": "d",
                "requirements": {"video_ingress": False},
            },
            Registration(
                name="a",
                url="https://w",
                capacity=1,
                price=Fraction(5, 2),
                token="t",
                description="d",
            ),
            id="every field",
        ),
        pytest.param({"name": "", "url": "http://w"}, None, id="no name"),
        pytest.param({"name": "a", "url": "w"}, None, id="no scheme"),
        pytest.param({"name": "a", "url": "http://w", "capacity": -1}, None, id="negative"),
        pytest.param({"name": "a", "url": "http://w", "capacity": "2"}, None, id="a string"),
        pytest.param({"name": "a", "url": "http://w", "currency": "USD"}, None, id="USD"),
    ],
)
def test_registration_bodies(body: object, expected: Registration | None) -> None:
    raw = json.dumps(body).encode()
    if expected is None:
        with pytest.raises(RegistrationRefused):
            Registration.from_json(raw)
    else:
        assert Registration.from_json(raw) == expected
        assert Registration.from_json(json.dumps(expected.to_json()).encode()) == expected


@pytest.mark.parametrize(
    ("body", "words", "delay"),
    [
        pytest.param(b'{"prompt": "a b"}', ["a", "b"], None, id="prompt"),
        pytest.param(b'{"prompt": "a b", "max_tokens": 5}', ["a", "b", "a", "b", "a"], None),
        pytest.param(b'{"prompt": "a", "delay_ms": 250}', ["a"], 0.25, id="own delay"),
        pytest.param(b"plain words here", ["plain", "words", "here"], None, id="not JSON"),
        pytest.param(b"", [], None, id="empty"),
    ],
)
def test_stream_tokens_come_from_the_body(
    body: bytes, words: list[str], delay: float | None
) -> None:
    assert stream_tokens(body) == (words, delay)


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        pytest.param(b'{"seconds": 1.5}', 1.5, id="object"),
        pytest.param(b"2", 2.0, id="bare number"),
        pytest.param(b'{"seconds": -1}', None, id="negative"),
        pytest.param(b'{"seconds": "1"}', None, id="a string"),
        pytest.param(b"{", None, id="not JSON"),
    ],
)
def test_sleep_seconds(body: bytes, seconds: float | None) -> None:
    assert sleep_seconds(body) == seconds


async def test_the_demo_worker_wants_its_token(
    paid: RunningDevnet, http: httpx.AsyncClient
) -> None:
    url = f"{paid.byoc_worker_url}/echo"

    refused = await http.post(url, content=b"x")
    served = await http.post(url, content=b"x", headers={"Authorization": f"Bearer {WORKER_TOKEN}"})

    assert refused.status_code == 401
    assert (served.status_code, served.content) == (200, b"x")


def test_the_secrets_never_reach_the_log(devnets: dict[str, RunningDevnet]) -> None:
    for devnet in devnets.values():
        log = devnet.log_path.read_text()
        assert SECRET not in log and WORKER_TOKEN not in log
