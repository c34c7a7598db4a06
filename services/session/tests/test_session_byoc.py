"""BYOC jobs through the job handler, against a real payment-signer and devnet orchestrators
that run the built-in demo worker (`--byoc-capability`).

The signer is the real `lpgw-payment-signer` process (dev key, its own bus prefix and Redis
keys); it signs each job and pays for it through payment sessions. `paid` takes payments at
PRICE wei per second with one slot per capability; `free` is off-chain. The selector's
orchestrator list is stood in for by a responder on `names.orchestrator_list`; intake's end of
the stream is a real `ChunkInbox`. Each capability the paid devnet serves is a balance bucket
of its own, so the tests that compare the signer's credit with the devnet's ledger do not see
each other's jobs.
"""

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import aiohttp
import nats.errors
import pytest
import pytest_asyncio
from lpgw.blobs import BlobStore
from lpgw.bus import Bus, Names
from lpgw.bus.chunks import Chunk, ChunkInbox
from lpgw.bus.events import AiJob, BlobRef, ByocSpec, JobResult, Outcome
from lpgw.devnet.launcher import RunningDevnet, start_fleet
from lpgw.eth import to_checksum
from lpgw.session.byoc.paying import ByocPayments
from lpgw.session.byoc.runner import ByocRunner
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.keepalive import Progress
from lpgw.session.outcomes import OutcomeReporter
from lpgw.signer_client import fetch_identity
from lpgw.signer_client.byoc import SignerJobs
from lpgw.signer_client.sessions import SignerSessions, signer_http
from lpgw.stack.ports import free_port
from lpgw.stack.process import Supervisor
from lpgw.stack.readiness import http_ok
from lpgw.stack.topology import script
from lpgw.state import Keys, connect
from lpgw.wire.byoc import JobToken, eth_address_header
from lpgw.wire.headers import CAPABILITY_HEADER, ETH_ADDRESS_HEADER
from nats.js.errors import NotFoundError

pytestmark = pytest.mark.integration

INBOX = "intake5"
DEMO = "demo"
METERED = "meter"
"""The settlement test's own bucket."""
LEFT = "leave"
"""The bucket of the batch job the client leaves."""
PRICE = 10_000_000
"""Wei per second: a minute of it (what the devnet wants covered) is below one ticket's EV."""
MAX_DELIVER = 5


# --- the signer and the orchestrators -------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    url: str
    token: str
    prefix: str
    """Its bus prefix and Redis key prefix."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def signer(
    supervisor: Supervisor, nats_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Signer]:
    """The payment-signer process (dev key and token), under a prefix of its own; stopped,
    its audit stream and Redis keys deleted, when the module ends."""
    prefix = "t" + uuid.uuid4().hex[:8]
    data_dir = tmp_path_factory.mktemp("signer")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    name = f"payment-signer-{prefix}"
    env = {
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "LPGW_ENV": "dev",
        "SIGNER_DEV_KEY": "true",
        "SIGNER_DATA_DIR": str(data_dir),
        "SIGNER_TOKEN_FILE": str(data_dir / "token"),
        "NATS_URL": nats_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": prefix,
    }
    supervisor.start(
        name, [script("lpgw-payment-signer")], env=env, ready=http_ok(f"{url}/healthz"), wait=False
    )
    try:
        await supervisor.until_ready(name)
        yield Signer(url, (data_dir / "token").read_text().strip(), prefix)
    finally:
        supervisor.stop(name)
        await _forget_prefix(nats_url, redis_url, prefix)


async def _forget_prefix(nats_url: str, redis_url: str, prefix: str) -> None:
    names = Names(prefix)
    bus = await Bus.connect(nats_url, names, client_name=f"cleanup-{prefix}")
    try:
        with contextlib.suppress(NotFoundError, nats.errors.Error):
            await bus.js.delete_stream(names.audit_stream)
    finally:
        await bus.close(grace_s=1.0)
    redis = await connect(redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningDevnet]]:
    demo = ("--byoc-capability", DEMO, "--byoc-capacity", "1", "--byoc-token-delay-ms", "20")
    flags = {
        "paid": (
            *demo,
            *("--byoc-capability", METERED, "--byoc-capability", LEFT),
            *("--byoc-price", str(PRICE)),
        ),
        "free": ("--no-payments", "--plain", *demo),
    }
    with start_fleet(flags, tmp_path_factory.mktemp("byoc")) as running:
        yield running


@pytest.fixture
def paid(fleet: dict[str, RunningDevnet]) -> RunningDevnet:
    return fleet["paid"]


@pytest.fixture
def free(fleet: dict[str, RunningDevnet]) -> RunningDevnet:
    return fleet["free"]


# --- the gateway around the job runner ------------------------------------------------------


@dataclass
class Gateway:
    runner: JobRunner
    media: BlobStore
    http: aiohttp.ClientSession
    eth_address: str
    """Our `Livepeer-Eth-Address` header."""
    sender: str
    """Our address, EIP-55, as the devnet's ledger names it."""


@pytest.fixture
async def gateway(
    make_runner: Callable[..., JobRunner],
    bus: Bus,
    http: aiohttp.ClientSession,
    media: BlobStore,
    reporter: OutcomeReporter,
    signer: Signer,
) -> AsyncIterator[Gateway]:
    async with signer_http() as to_signer:
        identity = await fetch_identity(to_signer, signer.url, signer.token, asyncio.Event())
        assert identity is not None
        sender = to_checksum(identity.address)
        eth_address = eth_address_header(sender, identity.sig)
        byoc = ByocRunner(
            bus=bus,
            http=http,
            inputs=media,
            jobs=SignerJobs(to_signer, signer.url, signer.token),
            payments=ByocPayments(SignerSessions(to_signer, signer.url, signer.token)),
            eth_address=eth_address,
            outcomes=reporter,
        )
        runner = make_runner(byoc=byoc, limits=JobLimits(keepalive_s=1, max_deliver=MAX_DELIVER))
        yield Gateway(runner, media, http, eth_address, sender)


async def byoc_job(
    media: BlobStore,
    job_id: str,
    route: str,
    body: bytes,
    *,
    capability: str = DEMO,
    timeout_seconds: int = 30,
    request: str | None = None,
) -> AiJob:
    """A job as intake makes it: the body stored as the `body` input, the header's fields in
    the spec."""
    blob = await media.put(f"in.{job_id}/body", body, "application/json")
    spec = ByocSpec(
        capability=capability,
        route=route,
        request=request if request is not None else json.dumps({"task": route}),
        parameters="{}",
        timeout_seconds=timeout_seconds,
        content_type="application/json",
    )
    now = time.time()
    return AiJob(
        inbox=INBOX,
        job_id=job_id,
        pipeline="byoc",
        model_id=capability,
        request={},
        inputs={
            "body": BlobRef(
                key=blob.key, content_type=blob.content_type, size=blob.size, sha256=blob.sha256
            )
        },
        stream=True,
        byoc=spec,
        submitted_at=now,
        deadline=now + 60,
    )


class Arrivals:
    """One job's chunks as they arrive."""

    def __init__(self, queue: "asyncio.Queue[Chunk]") -> None:
        self.queue = queue
        self.chunks: list[Chunk] = []
        self._came = asyncio.Event()
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        while True:
            self.chunks.append(await self.queue.get())
            self._came.set()

    async def until(self, enough: int, timeout_s: float = 5.0) -> list[Chunk]:
        async with asyncio.timeout(timeout_s):
            while len(self.chunks) < enough:
                self._came.clear()
                await self._came.wait()
        return self.chunks

    async def body_started(self, timeout_s: float = 5.0) -> None:
        """Once a chunk after the head has come."""
        await self.until(2, timeout_s)

    def stop(self) -> None:
        self._task.cancel()


Answered = Callable[[AiJob], Awaitable[tuple[JobResult, list[Chunk]]]]


@pytest.fixture
def answered(
    gateway: Gateway,
    inbox: ChunkInbox,
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> Answered:
    """answered(job): handle `job`; its result and every chunk the result counts."""

    async def handle(job: AiJob) -> tuple[JobResult, list[Chunk]]:
        arrivals = Arrivals(inbox.expect(job.job_id))
        try:
            await gateway.runner.handle(job, delivery())
            result = await result_of(job.job_id)
            return result, list(await arrivals.until(result.chunks))
        finally:
            arrivals.stop()

    return handle


# --- what the orchestrator and the signer hold --------------------------------------------------


async def ledger(http: aiohttp.ClientSession, devnet: RunningDevnet) -> dict[str, Any]:
    async with http.get(f"{devnet.url}/ledger") as response:
        assert response.status == 200
        answer: dict[str, Any] = await response.json()
        return answer


@dataclass(frozen=True)
class Account:
    """Our account with the paid devnet, from its ledger: total debited, bucket balances."""

    debited: Fraction
    buckets: dict[str, Fraction]


async def account(gateway: Gateway, devnet: RunningDevnet) -> Account:
    sender = (await ledger(gateway.http, devnet))["senders"].get(gateway.sender, {})
    return Account(
        debited=Fraction(sender.get("debited", "0")),
        buckets={name: Fraction(value) for name, value in sender.get("buckets", {}).items()},
    )


SignerCredit = Callable[[str], Awaitable[Fraction]]


@pytest.fixture
def signer_credit(
    gateway: Gateway, paid: RunningDevnet, signer: Signer, redis_url: str
) -> SignerCredit:
    """signer_credit(bucket): the signer's credit with `paid` for `bucket`, as it keeps it in
    Redis."""

    async def credit(bucket: str) -> Fraction:
        recipient = (await ledger(gateway.http, paid))["recipient"].lower()
        redis = await connect(redis_url)
        try:
            amount = await redis.hget(Keys(signer.prefix).credit(recipient, bucket), "c")
        finally:
            await redis.aclose()
        return Fraction(amount.decode() if isinstance(amount, bytes) else amount or "0")

    return credit


async def eventually(check: Callable[[], Awaitable[object]], timeout_s: float) -> None:
    """Until `check()` is true: state another process changes in its own time."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"not within {timeout_s} s"
        await asyncio.sleep(0.05)


async def free_slots(gateway: Gateway, devnet: RunningDevnet, capability: str) -> int:
    headers = {ETH_ADDRESS_HEADER: gateway.eth_address, CAPABILITY_HEADER: capability}
    async with gateway.http.get(f"{devnet.url}/process/token", headers=headers) as response:
        assert response.status == 200
        return JobToken.from_json(await response.read()).available_capacity


# --- answers relayed ------------------------------------------------------------------------


async def test_an_echo_job_relays_the_head_and_the_body(
    gateway: Gateway, paid: RunningDevnet, offered: list[str], answered: Answered
) -> None:
    offered[:] = [paid.url]
    body = json.dumps({"hello": "world", "n": list(range(50))}).encode()

    result, chunks = await answered(await byoc_job(gateway.media, "echo1", "echo", body))

    assert result.ok and result.error is None
    assert (result.orchestrator, result.attempts, result.delivery) == (paid.url, 1, 1)
    assert result.chunks == len(chunks) >= 2
    head = chunks[0].head
    assert head is not None and head.status == 200
    assert set(head.headers) == {
        "Content-Type",
        "Livepeer-Balance",
        "X-Metadata",
        "X-Orchestrator-Url",
    }
    assert head.headers["Content-Type"] == "application/json"
    assert json.loads(head.headers["X-Metadata"]) == {"route": "echo", "bytes": len(body)}
    assert head.headers["X-Orchestrator-Url"] == paid.url
    assert int(head.headers["Livepeer-Balance"]) > 0, "paid: the balance left after the charge"
    assert all(c.head is None for c in chunks[1:])
    assert b"".join(c.data for c in chunks) == body


async def test_a_stream_job_relays_its_events_in_order_as_they_come(
    gateway: Gateway, paid: RunningDevnet, offered: list[str], answered: Answered
) -> None:
    offered[:] = [paid.url]
    words = ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"]
    body = json.dumps({"prompt": " ".join(words)}).encode()

    result, chunks = await answered(await byoc_job(gateway.media, "stream1", "stream", body))

    assert result.ok and result.orchestrator == paid.url
    head = chunks[0].head
    assert head is not None and head.status == 200
    assert head.headers["Content-Type"].startswith("text/event-stream")
    assert len(chunks) > len(words), "events were relayed as they came, not in one piece"
    lines = [line for line in b"".join(c.data for c in chunks).decode().split("\n") if line]
    tokens = [json.loads(line[6:]) for line in lines if line.startswith('data: {"token"')]
    assert tokens == [{"token": w, "index": i} for i, w in enumerate(words)]
    assert lines[-1] == "data: [DONE]"


# --- no orchestrator could do it ----------------------------------------------------------


async def test_a_failing_worker_everywhere_is_a_503_naming_each_orchestrator_and_why(
    gateway: Gateway,
    paid: RunningDevnet,
    free: RunningDevnet,
    offered: list[str],
    answered: Answered,
    published_outcomes: Callable[[], Awaitable[list[Outcome]]],
) -> None:
    offered[:] = [paid.url, free.url]

    result, chunks = await answered(await byoc_job(gateway.media, "fail1", "fail", b"{}"))

    assert not result.ok and result.error is not None
    assert result.error.status == 503
    message = result.error.message
    assert message.startswith(f"No orchestrator could run capability {DEMO}: ")
    reasons = sorted(
        message.removeprefix(f"No orchestrator could run capability {DEMO}: ").split("; ")
    )
    assert reasons == sorted(f"{url}: 500: worker failure" for url in (paid.url, free.url))
    assert (result.chunks, chunks) == (0, []), "nothing reached the client"
    outcomes = await published_outcomes()
    assert sorted((o.orchestrator, o.ok, o.workload) for o in outcomes) == sorted(
        [(paid.url, False, "byoc"), (free.url, False, "byoc")]
    )


@pytest.mark.parametrize(
    ("capability", "known", "reason"),
    [
        pytest.param("nope", True, "no capacity", id="a capability nobody offers"),
        pytest.param(DEMO, False, "none is known", id="no orchestrator listed"),
    ],
)
async def test_a_job_no_orchestrator_offers_to_run_is_a_503(
    gateway: Gateway,
    paid: RunningDevnet,
    free: RunningDevnet,
    offered: list[str],
    capability: str,
    known: bool,
    reason: str,
    answered: Answered,
) -> None:
    offered[:] = [paid.url, free.url] if known else []

    job = await byoc_job(gateway.media, "none1", "echo", b"{}", capability=capability)
    result, chunks = await answered(job)

    assert not result.ok and result.error is not None
    assert result.error.status == 503
    assert capability in result.error.message and reason in result.error.message
    if known:
        for url in (paid.url, free.url):
            assert f"{url}: {reason}" in result.error.message
    assert chunks == []


async def test_a_job_whose_body_is_no_longer_stored_is_a_503(
    gateway: Gateway, paid: RunningDevnet, offered: list[str], answered: Answered
) -> None:
    offered[:] = [paid.url]
    job = await byoc_job(gateway.media, "lost1", "echo", b"{}")
    job = job.model_copy(
        update={"inputs": {"body": job.inputs["body"].model_copy(update={"key": "in.gone/body"})}}
    )

    result, _ = await answered(job)

    assert result.error is not None
    assert (result.error.status, result.error.message) == (
        503,
        "the request's body is no longer stored",
    )


# --- the client leaving ---------------------------------------------------------------------


async def test_the_client_leaving_mid_stream_ends_the_job_at_once_and_frees_the_slot(
    gateway: Gateway,
    inbox: ChunkInbox,
    paid: RunningDevnet,
    offered: list[str],
    answered: Answered,
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> None:
    offered[:] = [paid.url]
    long_stream = json.dumps({"prompt": "tick", "max_tokens": 500, "delay_ms": 20}).encode()
    job = await byoc_job(gateway.media, "leave1", "stream", long_stream)
    arrivals = Arrivals(inbox.expect("leave1"))

    handling = asyncio.create_task(gateway.runner.handle(job, delivery()))
    await arrivals.body_started()
    await inbox.cancel("leave1")
    left = time.monotonic()
    async with asyncio.timeout(5):
        await handling
    stopped_after = time.monotonic() - left
    arrivals.stop()

    result = await result_of("leave1")
    assert stopped_after < 1.0, f"the handler went on {stopped_after:.2f} s after the cancel"
    assert result.error is not None and result.error.status == 499
    assert result.chunks >= 2 and result.delivery == 1
    await eventually(lambda: free_slots(gateway, paid, DEMO), 2.0)
    again, _ = await answered(await byoc_job(gateway.media, "leave2", "echo", b"{}"))
    assert again.ok and again.orchestrator == paid.url, "the only slot serves the next job"


# --- payment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "body", "seconds"),
    [
        pytest.param("echo", b"{}", 1, id="under a second: one second"),
        pytest.param("sleep", b'{"seconds": 1.3}', 2, id="1.3 s: two seconds"),
    ],
)
async def test_a_job_pays_for_the_seconds_it_ran_not_the_seconds_it_reserved(
    gateway: Gateway,
    paid: RunningDevnet,
    offered: list[str],
    signer_credit: SignerCredit,
    route: str,
    body: bytes,
    seconds: int,
    answered: Answered,
) -> None:
    offered[:] = [paid.url]
    before = await account(gateway, paid)
    job = await byoc_job(
        gateway.media, "pay1", route, body, capability=METERED, timeout_seconds=120
    )

    result, chunks = await answered(job)

    assert result.ok, result.error
    after = await account(gateway, paid)
    assert after.debited - before.debited == seconds * PRICE, "the devnet charged the seconds"
    balance = after.buckets[METERED]
    assert chunks[0].head is not None
    assert abs(int(chunks[0].head.headers["Livepeer-Balance"]) - balance) < 1
    credit = await signer_credit(METERED)
    assert credit == balance, (
        f"the signer keeps {credit} of credit, the orchestrator holds {balance} "
        f"(a difference of {(balance - credit) / PRICE} s of price)"
    )


async def test_a_batch_job_the_client_leaves_pays_for_the_seconds_the_orchestrator_charged(
    gateway: Gateway,
    inbox: ChunkInbox,
    paid: RunningDevnet,
    offered: list[str],
    signer_credit: SignerCredit,
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> None:
    offered[:] = [paid.url]
    before = await account(gateway, paid)
    job = await byoc_job(
        gateway.media, "gone1", "sleep", b'{"seconds": 3}', capability=LEFT, timeout_seconds=120
    )

    handling = asyncio.create_task(gateway.runner.handle(job, delivery()))
    await asyncio.sleep(0.5)
    await inbox.cancel("gone1")
    async with asyncio.timeout(2):
        await handling
    result = await result_of("gone1")
    assert result.error is not None and result.error.status == 499

    async def charged() -> bool:  # once the devnet sees the connection close
        return (await account(gateway, paid)).debited != before.debited

    await eventually(charged, 3.0)

    after = await account(gateway, paid)
    assert after.debited - before.debited == PRICE, "the devnet charged one second"
    balance = after.buckets[LEFT]
    credit = await signer_credit(LEFT)
    assert credit == balance, (
        f"the signer keeps {credit} of credit, the orchestrator holds {balance}"
    )


async def test_a_job_the_signer_will_not_sign_is_answered_on_its_last_delivery(
    gateway: Gateway,
    inbox: ChunkInbox,
    paid: RunningDevnet,
    offered: list[str],
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> None:
    """request + parameters of exactly 32 bytes (the length of a ticket hash) are refused by
    the signer; intake lets them through, as the reference does, and the client gets a 400."""
    offered[:] = [paid.url]
    request = '{"a":"' + "x" * 22 + '"}'
    assert len(request + "{}") == 32
    job = await byoc_job(gateway.media, "sig1", "echo", b"{}", request=request)

    await gateway.runner.handle(job, delivery(attempt=MAX_DELIVER))

    result = await result_of("sig1")
    assert result.error is not None and result.error.status == 400
