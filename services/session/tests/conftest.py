"""Shared fixtures for the session's integration tests.

Devnet orchestrators (stopped whatever happens). They run off-chain (`--no-payments`): these
tests pay with the off-chain behaviour or a stub signer; real payments are covered end to end
(tests/e2e/test_e2e_payments.py).

The gateway around a `JobRunner`: `make_runner` assembles one (on `http`, `media` and
`reporter`), `offered` is the stub selector, `t2i_job` and `delivery` make what the JOBS
consumer would hand over, and `result_of` / `published_outcomes` read back the RESULTS and
OUTCOMES streams. Test modules cannot import this file (importlib mode), so what they share
is a fixture; plain functions come as fixtures that return them.

A module's jobs are addressed to its `INBOX` (intake1 where it names none): `t2i_job`,
`result_of` and the chunk `inbox` all use it; `t2i_job` asks for its `MODEL` (sdxl-turbo
where it names none).
"""

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.bus.chunks import ChunkInbox
from lpgw.bus.codec import decode
from lpgw.bus.events import (
    AiJob,
    Candidate,
    JobResult,
    OrchestratorList,
    OrchestratorListRequest,
    OrchestratorSummary,
    Outcome,
    Outcomes,
    SelectionReply,
    SelectionRequest,
)
from lpgw.devnet.launcher import RunningDevnet, start_devnet
from lpgw.session.ai_worker import AiWorker, new_http_client
from lpgw.session.jobs import ByocWork, JobLimits, JobRunner
from lpgw.session.keepalive import Progress
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.session.outcomes import OutcomeReporter
from lpgw.session.paid_attempt import PaidAttempt
from lpgw.session.payments import OffChainPayments, Payments
from lpgw.signer_client import OFF_CHAIN
from lpgw.wire.client import OrchestratorClient

OFF_CHAIN_FLAGS = ("--no-payments",)
INBOX = "intake1"
"""The inbox of a module that names none."""
MODEL = "stabilityai/sdxl-turbo"
"""The model of a module that names none."""
LIMITS = JobLimits(keepalive_s=1)
"""The limits of a runner that names none."""


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """A healthy TLS devnet that takes no payment."""
    started = start_devnet(OFF_CHAIN_FLAGS, tmp_path_factory.mktemp("devnet") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def failing_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """A plain-HTTP devnet whose every job fails with 500."""
    flags = (*OFF_CHAIN_FLAGS, "--plain", "--failure-rate", "1")
    started = start_devnet(flags, tmp_path_factory.mktemp("failing") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def unreachable_service_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """Answers GetOrchestrator, but its service URI names a host nobody listens on, so the
    job request never leaves the gateway. Its `url` names that host too: use its port."""
    flags = (*OFF_CHAIN_FLAGS, "--plain", "--service-host", "127.0.0.2")
    started = start_devnet(flags, tmp_path_factory.mktemp("unreachable") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


# --- the gateway around the job runner ------------------------------------------------------


@pytest.fixture
def inbox_name(request: pytest.FixtureRequest) -> str:
    """The inbox the test module's jobs are addressed to: its `INBOX`, else intake1."""
    return str(getattr(request.module, "INBOX", INBOX))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """The session's client to orchestrators (one connection pool for every runner)."""
    async with new_http_client() as client:
        yield client


@pytest.fixture
async def media(bus: Bus) -> BlobStore:
    """The blob store: the jobs' inputs and the results' media."""
    return await BlobStore.open(bus.nc, bus.names, ttl_s=600)


@pytest.fixture
async def reporter(bus: Bus) -> AsyncIterator[OutcomeReporter]:
    """Publishes outcomes when `published_outcomes` flushes it (its own interval is an hour)."""
    async with OutcomeReporter(bus, interval_s=3600) as started:
        yield started


@pytest.fixture
def make_runner(
    bus: Bus, http: aiohttp.ClientSession, media: BlobStore, reporter: OutcomeReporter
) -> Callable[..., JobRunner]:
    """make_runner(limits=…, payments=…, worker=…, …): a job runner as the session assembles
    it, off-chain unless `payments` says otherwise, each attempt bounded at 20 s."""

    def make(
        *,
        limits: JobLimits = LIMITS,
        payments: Payments | None = None,
        worker: type[AiWorker] = AiWorker,
        max_response_bytes: int = 1 << 20,
        media_timeout_s: float = 30.0,
        byoc: ByocWork | None = None,
    ) -> JobRunner:
        return JobRunner(
            bus=bus,
            attempt=PaidAttempt(
                infos=OrchestratorInfos(OrchestratorClient(), OFF_CHAIN),
                payments=payments if payments is not None else OffChainPayments(),
                worker=worker(http, max_response_bytes=max_response_bytes),
                media=media,
                attempt_timeout_s=20,
                media_timeout_s=media_timeout_s,
            ),
            inputs=media,
            results=media,
            byoc=byoc,
            outcomes=reporter,
            limits=limits,
        )

    return make


@pytest.fixture
def selection_requests() -> list[SelectionRequest]:
    """Every request the stub selector (`offered`) got, in order."""
    return []


@pytest.fixture
async def offered(bus: Bus, selection_requests: list[SelectionRequest]) -> AsyncIterator[list[str]]:
    """The orchestrators the stub selector offers, best first (set in place): it ranks them
    on `select` (less the excluded, up to the limit) and lists them on `orchestrator_list`."""
    urls: list[str] = []

    async def select(request: SelectionRequest) -> SelectionReply:
        selection_requests.append(request)
        chosen = [u for u in urls if u not in request.exclude][: request.limit]
        return SelectionReply(
            candidates=[
                Candidate(
                    url=u, address="", price_per_unit=0, pixels_per_unit=1, latency_ms=1, score=1
                )
                for u in chosen
            ]
        )

    async def listing(_: OrchestratorListRequest) -> OrchestratorList:
        return OrchestratorList(
            orchestrators=[OrchestratorSummary(url=u, address="", capabilities=[]) for u in urls]
        )

    names = bus.names
    subs = [
        await bus.serve(names.select, names.selector_queue, SelectionRequest, select),
        await bus.serve(
            names.orchestrator_list, names.selector_queue, OrchestratorListRequest, listing
        ),
    ]
    try:
        yield urls
    finally:
        for sub in subs:
            await sub.unsubscribe()


@pytest.fixture
def t2i_job(request: pytest.FixtureRequest, inbox_name: str) -> Callable[..., AiJob]:
    """t2i_job(job_id, deadline_s=60, **fields): a text-to-image job for the module's model,
    its request 64×48 unless `fields` say otherwise, billed by its pixels."""
    model = str(getattr(request.module, "MODEL", MODEL))

    def make(job_id: str, deadline_s: float = 60, **fields: Any) -> AiJob:
        now = time.time()
        body = {"prompt": "a lighthouse", "width": 64, "height": 48, "model_id": model, **fields}
        return AiJob(
            inbox=inbox_name,
            job_id=job_id,
            pipeline="text-to-image",
            model_id=model,
            request=body,
            units=body["width"] * body["height"] * body.get("num_images_per_prompt", 1),
            submitted_at=now,
            deadline=now + deadline_s,
        )

    return make


class _Delivery:
    """Stands in for lpgw.bus.Received: which delivery of the job this is."""

    def __init__(self, attempt: int = 1) -> None:
        self.attempt = attempt

    async def in_progress(self) -> None:
        return None


@pytest.fixture
def delivery() -> Callable[..., Progress]:
    """delivery(attempt=1): the job as JOBS hands it over the `attempt`-th time."""
    return _Delivery


@pytest.fixture
def result_of(bus: Bus, inbox_name: str) -> Callable[[str], Awaitable[JobResult]]:
    """result_of(job_id): the job's result, from the RESULTS stream (within 5 s)."""

    async def wait(job_id: str) -> JobResult:
        return await bus.wait_for(
            bus.names.result(inbox_name, job_id),
            JobResult,
            timeout=5,
            stream=bus.names.results_stream,
        )

    return wait


@pytest.fixture
def published_outcomes(
    bus: Bus, reporter: OutcomeReporter
) -> Callable[[], Awaitable[list[Outcome]]]:
    """published_outcomes(): every Outcome the reporter has published to the OUTCOMES stream
    (flushed first), in order."""

    async def read() -> list[Outcome]:
        await reporter.flush()
        stream = bus.names.outcomes_stream
        state = (await bus.js.stream_info(stream)).state
        found: list[Outcome] = []
        if not state.messages:
            return found
        for seq in range(state.first_seq, state.last_seq + 1):
            raw = await bus.js.get_msg(stream, seq)
            found.extend(decode(Outcomes, raw.data or b"", raw.headers).outcomes)
        return found

    return read


@pytest.fixture
async def inbox(bus: Bus, inbox_name: str) -> AsyncIterator[ChunkInbox]:
    """Intake's end of the streams sent to the module's inbox."""
    opened = ChunkInbox(bus, inbox_name)
    await opened.start()
    try:
        yield opened
    finally:
        await opened.close()
