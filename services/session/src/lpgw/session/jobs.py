"""One batch AI job from JOBS to a JobResult: select, try orchestrators in turn, re-host media.

The handler returns (and the message is acked) only after the result is published; a
redelivered job whose result is already in the RESULTS stream is acked without redoing it.
Attempt failures and the signer's refusals are expected and end in a JobResult; anything else
(bus or blob store down, and the signer unreachable before the last delivery) raises, so
JetStream redelivers the job later.

What the client waits for comes first: the result is published as soon as it is known; the
outcome of every attempt goes to the `OutcomeReporter`, which publishes them in batches.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lpgw.bus import Bus
from lpgw.bus.chunks import CancelWatch, ChunkSender, Head
from lpgw.bus.errors import BusError
from lpgw.bus.events import (
    AiJob,
    Candidate,
    JobError,
    JobResult,
    Outcome,
    SelectionReply,
    SelectionRequest,
)
from lpgw.pipelines import PIPELINES
from lpgw.service.logs import bind_log_context
from lpgw.session.ai_worker import Outgoing, Sink
from lpgw.session.attempts import attempt_budget, should_continue
from lpgw.session.candidates import CandidateCache
from lpgw.session.failures import (
    AttemptFailed,
    OrchestratorBusy,
    Verdict,
    deadline_passed,
    signer_unavailable,
    verdict_for,
)
from lpgw.session.inputs import InputLost, InputReader, outgoing_body
from lpgw.session.keepalive import Progress, kept_alive
from lpgw.session.large_results import spilled
from lpgw.session.media import MediaStore
from lpgw.session.outcomes import OutcomeReporter
from lpgw.session.paid_attempt import PaidAttempt, Success
from lpgw.signer_client.errors import (
    BudgetExhausted,
    InvalidPaymentRequest,
    PaymentCapExceeded,
    PaymentRefused,
    PriceAboveCeiling,
    SignerUnavailable,
)
from lpgw.wire.capabilities import capability_for_pipeline
from lpgw.wire.headers import ORCHESTRATOR_URL_HEADER

logger = logging.getLogger("lpgw.session.jobs")

SELECT_TIMEOUT_S = 2.0
SELECT_TRIES = 3


@dataclass(frozen=True)
class JobLimits:
    max_attempts: int = 3
    keepalive_s: float = 10.0
    max_deliver: int = 5
    """JetStream's delivery bound: the last delivery answers instead of asking for another."""
    selection_ttl_s: float = 1.0
    max_busy: int = 8
    """Orchestrators passed over as full ("insufficient capacity") before the job gives up:
    they cost no attempt, but each costs a payment and a round trip."""


@dataclass
class _Tries:
    """Orchestrators a job went to (`attempted`), ones passed over for our own limits, and the
    outcome of every attempt, for the selector."""

    attempted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def excluded(self) -> list[str]:
        return [*self.attempted, *self.skipped, *self.busy]


class ByocWork(Protocol):
    """BYOC jobs' own path (lpgw.session.byoc.ByocRunner)."""

    async def run(self, job: AiJob, sender: ChunkSender) -> JobResult: ...


class JobRunner:
    def __init__(
        self,
        *,
        bus: Bus,
        attempt: PaidAttempt,
        inputs: InputReader,
        results: MediaStore,
        outcomes: OutcomeReporter,
        limits: JobLimits,
        byoc: ByocWork | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._names = bus.names
        self._attempt = attempt
        self._inputs = inputs
        self._results = results
        self._byoc = byoc
        self._outcomes = outcomes
        self._limits = limits
        self._clock = clock
        self._candidates = CandidateCache(self._select, ttl_s=limits.selection_ttl_s)

    async def handle(self, job: AiJob, delivery: Progress) -> None:
        """The JOBS consumer's handler.

        When the signer cannot be reached the job is handed back to JetStream (raise → nak)
        to be retried a second later, possibly by another replica; the last delivery answers
        503 instead, so the client is never left waiting.
        """
        with bind_log_context(job_id=job.job_id):
            subject = self._names.result(job.inbox, job.job_id)
            if delivery.attempt > 1 and await self._finished(subject):
                logger.info("job_already_done")
                return
            tries = _Tries()
            try:
                async with kept_alive(delivery, self._limits.keepalive_s):
                    try:
                        result = await self._dispatch(job, delivery.attempt, tries)
                    except SignerUnavailable:
                        can_retry = delivery.attempt < self._limits.max_deliver
                        if can_retry and self._clock() < job.deadline:
                            logger.warning("job_handed_back", extra={"delivery": delivery.attempt})
                            raise
                        result = _failed(job, signer_unavailable(), attempts=0)
                    result = await spilled(result, self._results)
                    await self._bus.publish(subject, result, msg_id=job.job_id)
            finally:
                self._outcomes.add(tries.outcomes)
            logger.info(
                "job_finished",
                extra={
                    "ok": result.ok,
                    "attempts": result.attempts,
                    "orchestrator": result.orchestrator,
                    "status": result.error.status if result.error else 200,
                },
            )

    async def _finished(self, subject: str) -> bool:
        """Whether an earlier delivery already published this job's result."""
        stored = await self._bus.last_stored(self._names.results_stream, subject, JobResult)
        return stored is not None

    async def _dispatch(self, job: AiJob, delivery: int, tries: _Tries) -> JobResult:
        if self._clock() >= job.deadline:
            return _failed(job, deadline_passed(), attempts=0)
        if job.byoc is not None:
            if self._byoc is None:
                return _failed(job, Verdict(501, "BYOC jobs are not enabled"), attempts=0)
            byoc = self._byoc
            return await self._streamed(job, delivery, lambda sender: byoc.run(job, sender))
        if job.pipeline not in PIPELINES:
            return _failed(job, Verdict(400, f"unknown pipeline {job.pipeline}"), attempts=0)
        if job.units <= 0:
            return _failed(job, Verdict(400, "the request has no billable units"), attempts=0)
        try:
            body = await outgoing_body(job, self._inputs)
        except InputLost as exc:
            return _failed(job, Verdict(503, str(exc)), attempts=0)
        if not job.stream:
            return await self._run(job, body, delivery, tries, None)
        return await self._streamed(
            job, delivery, lambda sender: self._run(job, body, delivery, tries, sender)
        )

    async def _streamed(
        self,
        job: AiJob,
        delivery: int,
        work: Callable[[ChunkSender], Awaitable[JobResult]],
    ) -> JobResult:
        """A job whose answer streams to intake as it comes (LLM events, BYOC): the result
        counts the chunks sent, and the work stops when the client goes away."""
        sender = ChunkSender(self._bus, job.inbox, job.job_id, delivery)
        async with CancelWatch(self._bus, job.job_id) as watch:
            result = await watch.unless_cancelled(work(sender))
        if result is None:
            logger.info("client_gone")
            result = _failed(job, Verdict(499, "the client closed the connection"), attempts=0)
        return result.model_copy(update={"chunks": sender.sent, "delivery": delivery})

    async def _run(
        self,
        job: AiJob,
        body: Outgoing,
        delivery: int,
        tries: _Tries,
        sender: ChunkSender | None,
    ) -> JobResult:
        budget = attempt_budget(job.max_attempts, self._limits.max_attempts)
        last: AttemptFailed | None = None
        while should_continue(len(tries.attempted), budget, last) and self._clock() < job.deadline:
            candidates = await self._candidates.candidates(
                job.pipeline, job.model_id, tries.excluded
            )
            if not candidates:
                break
            url = candidates[0].url
            started = time.monotonic()
            key = f"{job.job_id}.{delivery}.{len(tries.excluded)}"
            sink = _sink(sender, url) if sender is not None else None
            try:
                success = await self._attempt.run(job, url, body, key, sink)
            except (PriceAboveCeiling, PaymentCapExceeded) as exc:
                tries.skipped.append(url)
                logger.info(
                    "orchestrator_skipped",
                    extra={"orchestrator": url, "why": type(exc).__name__, "error": exc.message},
                )
                continue
            except BudgetExhausted as exc:
                return _failed(job, Verdict(402, exc.message), attempts=len(tries.attempted))
            except InvalidPaymentRequest as exc:  # the signer says our own call is wrong: a bug
                logger.error("payment_request_refused", extra={"error": exc.message})
                return _failed(job, Verdict(500, exc.message), attempts=len(tries.attempted))
            except PaymentRefused as exc:  # any other refusal: the client still gets an answer
                logger.error("payment_refused", extra={"kind": type(exc).__name__})
                verdict = Verdict(503, f"payment refused: {exc.message}")
                return _failed(job, verdict, attempts=len(tries.attempted))
            except OrchestratorBusy as exc:
                # Full, not broken: try another without spending an attempt or a mark against
                # this one; bounded by `max_busy` and the deadline.
                tries.busy.append(url)
                tries.outcomes.append(_outcome(job, url, started, exc))
                self._attempt.forget(job, url)
                self._candidates.drop(job.pipeline, job.model_id, url)
                logger.info("orchestrator_busy", extra={"orchestrator": url})
                if len(tries.busy) >= self._limits.max_busy:
                    last = exc
                    break
                continue
            except AttemptFailed as exc:
                tries.attempted.append(url)
                tries.outcomes.append(_outcome(job, url, started, exc))
                last = exc
                self._attempt.forget(job, url)
                self._candidates.drop(job.pipeline, job.model_id, url)
                logger.warning(
                    "attempt_failed",
                    extra={"orchestrator": url, "kind": exc.kind, "error": exc.message},
                )
                continue
            tries.attempted.append(url)
            tries.outcomes.append(_outcome(job, url, started, None))
            return _succeeded(job, success, url, len(tries.attempted))
        if not tries.attempted and self._clock() >= job.deadline:
            return _failed(job, deadline_passed(), attempts=0)
        verdict = verdict_for(last, job.pipeline, job.model_id)
        return _failed(job, verdict, attempts=len(tries.attempted))

    async def _select(
        self, pipeline: str, model_id: str, exclude: Sequence[str], limit: int
    ) -> list[Candidate]:
        """Ranked candidates from the selector; none when it cannot be reached (→ 503)."""
        request = SelectionRequest(
            capability=int(capability_for_pipeline(pipeline)),
            pipeline=pipeline,
            model_id=model_id,
            exclude=list(exclude),
            limit=limit,
        )
        for attempt in range(1, SELECT_TRIES + 1):
            try:
                reply = await self._bus.request(
                    self._names.select, request, SelectionReply, timeout=SELECT_TIMEOUT_S
                )
                return reply.candidates
            except BusError as exc:
                logger.warning(
                    "selection_failed", extra={"error": type(exc).__name__, "try": attempt}
                )
                await asyncio.sleep(0.2 * attempt)
        return []


def _sink(sender: ChunkSender, url: str) -> Sink:
    """The first event starts the client's answer (status, type, who answered); the rest
    follow as they come."""

    async def sink(event: bytes) -> None:
        if sender.started:
            await sender.send(event)
        else:
            headers = {"Content-Type": "text/event-stream", ORCHESTRATOR_URL_HEADER: url}
            await sender.start(Head(200, headers), event)

    return sink


def _succeeded(job: AiJob, success: Success, url: str, attempts: int) -> JobResult:
    return JobResult(
        job_id=job.job_id,
        ok=True,
        response=success.response,
        media=success.media,
        orchestrator=url,
        attempts=attempts,
    )


def _outcome(job: AiJob, url: str, started: float, failure: AttemptFailed | None) -> Outcome:
    return Outcome(
        job_id=job.job_id,
        workload="ai",
        pipeline=job.pipeline,
        model_id=job.model_id,
        orchestrator=url,
        ok=failure is None,
        latency_ms=(time.monotonic() - started) * 1000,
        error_kind=failure.kind if failure is not None else None,
        counts=not isinstance(failure, OrchestratorBusy),
    )


def _failed(job: AiJob, verdict: Verdict, attempts: int) -> JobResult:
    return JobResult(
        job_id=job.job_id,
        ok=False,
        error=JobError(status=verdict.status, message=verdict.message),
        attempts=attempts,
    )
