"""One batch AI job from JOBS to a JobResult: select, try orchestrators in turn, re-host media.

The handler returns (and the message is acked) only after the result is published and the
job is marked done; a redelivered job that is already done is acked without redoing it.
Attempt failures and the signer's refusals are expected and end in a JobResult; anything else
(bus or blob store down, and the signer unreachable before the last delivery) raises, so
JetStream redelivers the job later.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lpgw.bus import Bus
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
from lpgw.service.logs import bind_log_context
from lpgw.session.attempts import attempt_budget, next_candidate, should_continue
from lpgw.session.failures import (
    AttemptFailed,
    Verdict,
    deadline_passed,
    signer_unavailable,
    verdict_for,
)
from lpgw.session.keepalive import Progress, kept_alive
from lpgw.session.paid_attempt import PaidAttempt
from lpgw.session.payments import (
    BudgetExhausted,
    PaymentCapExceeded,
    PriceAboveCeiling,
    SignerUnavailable,
)
from lpgw.session.units import UnbillableRequest, request_units
from lpgw.state.keys import Keys
from lpgw.wire.capabilities import capability_for_pipeline
from redis.asyncio import Redis

logger = logging.getLogger("lpgw.session.jobs")

SUPPORTED_PIPELINES = frozenset({"text-to-image"})
DONE_TTL_S = 24 * 3600
SELECT_TIMEOUT_S = 2.0
SELECT_TRIES = 3


@dataclass(frozen=True)
class JobLimits:
    max_attempts: int = 3
    keepalive_s: float = 10.0
    max_deliver: int = 5
    """JetStream's delivery bound: the last delivery answers instead of asking for another."""


@dataclass
class _Tries:
    """Orchestrators a job went to (`attempted`) and ones passed over for our own limits."""

    attempted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def excluded(self) -> list[str]:
        return [*self.attempted, *self.skipped]


class JobRunner:
    def __init__(
        self,
        *,
        bus: Bus,
        redis: "Redis",
        keys: Keys,
        attempt: PaidAttempt,
        limits: JobLimits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._names = bus.names
        self._redis = redis
        self._keys = keys
        self._attempt = attempt
        self._limits = limits
        self._clock = clock

    async def handle(self, job: AiJob, delivery: Progress) -> None:
        """The JOBS consumer's handler.

        When the signer cannot be reached the job is handed back to JetStream (raise → nak)
        to be retried a second later, possibly by another replica; the last delivery answers
        503 instead, so the client is never left waiting.
        """
        with bind_log_context(job_id=job.job_id):
            if await self._redis.exists(self._keys.job_done(job.job_id)):
                logger.info("job_already_done")
                return
            async with kept_alive(delivery, self._limits.keepalive_s):
                try:
                    result = await self._run(job)
                except SignerUnavailable:
                    if delivery.attempt < self._limits.max_deliver and self._clock() < job.deadline:
                        logger.warning("job_handed_back", extra={"delivery": delivery.attempt})
                        raise
                    result = _failed(job, signer_unavailable(), attempts=0)
                await self._bus.publish(self._names.result(job.job_id), result, msg_id=job.job_id)
                await self._redis.set(self._keys.job_done(job.job_id), "1", ex=DONE_TTL_S)
            logger.info(
                "job_finished",
                extra={
                    "ok": result.ok,
                    "attempts": result.attempts,
                    "orchestrator": result.orchestrator,
                    "status": result.error.status if result.error else 200,
                },
            )

    async def _run(self, job: AiJob) -> JobResult:
        if self._clock() >= job.deadline:
            return _failed(job, deadline_passed(), attempts=0)
        if job.pipeline not in SUPPORTED_PIPELINES:
            return _failed(job, Verdict(501, f"pipeline {job.pipeline} is not supported yet"), 0)
        try:
            units = request_units(job.pipeline, job.request)
        except UnbillableRequest as exc:
            return _failed(job, Verdict(400, str(exc)), attempts=0)
        capability = int(capability_for_pipeline(job.pipeline))
        budget = attempt_budget(job.max_attempts, self._limits.max_attempts)
        tries = _Tries()
        candidates: Sequence[Candidate] = []
        last: AttemptFailed | None = None
        while should_continue(len(tries.attempted), budget, last) and self._clock() < job.deadline:
            candidate = next_candidate(candidates, tries.excluded)
            if candidate is None:
                left = budget - len(tries.attempted)
                candidates = await self._select(job, capability, tries.excluded, left)
                candidate = next_candidate(candidates, tries.excluded)
                if candidate is None:
                    break
            url = candidate.url
            started = time.monotonic()
            try:
                success = await self._attempt.run(job, url, units)
            except (PriceAboveCeiling, PaymentCapExceeded) as exc:
                tries.skipped.append(url)
                logger.info(
                    "orchestrator_skipped",
                    extra={"orchestrator": url, "why": type(exc).__name__, "error": exc.message},
                )
                continue
            except BudgetExhausted as exc:
                return _failed(job, Verdict(402, exc.message), attempts=len(tries.attempted))
            except AttemptFailed as exc:
                tries.attempted.append(url)
                last = exc
                self._attempt.forget(job, url)
                logger.warning(
                    "attempt_failed",
                    extra={"orchestrator": url, "kind": exc.kind, "error": exc.message},
                )
                await self._outcome(job, url, started, exc)
                continue
            tries.attempted.append(url)
            await self._outcome(job, url, started, None)
            return JobResult(
                job_id=job.job_id,
                ok=True,
                response=success.response,
                media=success.media,
                orchestrator=url,
                attempts=len(tries.attempted),
            )
        if not tries.attempted and self._clock() >= job.deadline:
            return _failed(job, deadline_passed(), attempts=0)
        verdict = verdict_for(last, job.pipeline, job.model_id)
        return _failed(job, verdict, attempts=len(tries.attempted))

    async def _select(
        self, job: AiJob, capability: int, exclude: list[str], limit: int
    ) -> list[Candidate]:
        """Ranked candidates from the selector; none when it cannot be reached (→ 503)."""
        request = SelectionRequest(
            job_id=job.job_id,
            capability=capability,
            pipeline=job.pipeline,
            model_id=job.model_id,
            exclude=list(exclude),
            limit=max(limit, 1),
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

    async def _outcome(
        self, job: AiJob, url: str, started: float, failure: AttemptFailed | None
    ) -> None:
        """Best effort: the selector's statistics must not fail a job."""
        outcome = Outcome(
            job_id=job.job_id,
            workload="ai",
            pipeline=job.pipeline,
            model_id=job.model_id,
            orchestrator=url,
            ok=failure is None,
            latency_ms=(time.monotonic() - started) * 1000,
            error_kind=failure.kind if failure is not None else None,
        )
        try:
            await self._bus.publish(self._names.outcome("ai"), outcome)
        except BusError as exc:
            logger.warning("outcome_not_published", extra={"error": type(exc).__name__})


def _failed(job: AiJob, verdict: Verdict, attempts: int) -> JobResult:
    return JobResult(
        job_id=job.job_id,
        ok=False,
        error=JobError(status=verdict.status, message=verdict.message),
        attempts=attempts,
    )
