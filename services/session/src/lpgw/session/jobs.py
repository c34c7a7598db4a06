"""One batch AI job from JOBS to a JobResult: select, try orchestrators in turn, re-host media.

The handler returns (and the message is acked) only after the result is published and the
job is marked done; a redelivered job that is already done is acked without redoing it.
Attempt failures are expected and end in a JobResult; anything else (bus or blob store down)
raises, so JetStream redelivers the job later.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lpgw.bus import Bus
from lpgw.bus.errors import BusError
from lpgw.bus.events import (
    AiJob,
    BlobRef,
    Candidate,
    JobError,
    JobResult,
    Outcome,
    SelectionReply,
    SelectionRequest,
)
from lpgw.service.logs import bind_log_context
from lpgw.session.ai_worker import AiWorker
from lpgw.session.attempts import attempt_budget, next_candidate, should_continue
from lpgw.session.failures import AttemptFailed, Verdict, deadline_passed, verdict_for
from lpgw.session.keepalive import Progress, kept_alive
from lpgw.session.media import blob_key, media_urls, rewrite_response
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.state.keys import Keys
from lpgw.wire.capabilities import ai_job_capabilities, capability_for_pipeline
from lpgw.wire.headers import encode_payment, encode_segment
from lpgw.wire.segdata import ai_segdata
from redis.asyncio import Redis

logger = logging.getLogger("lpgw.session.jobs")

SUPPORTED_PIPELINES = frozenset({"text-to-image"})
DONE_TTL_S = 24 * 3600
SELECT_TIMEOUT_S = 2.0
SELECT_TRIES = 3


class StoredMedia(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...


class MediaStore(Protocol):
    """Where result media go (lpgw.blobs.BlobStore has this shape)."""

    async def put(self, key: str, data: bytes, content_type: str) -> StoredMedia: ...


@dataclass(frozen=True)
class JobLimits:
    max_attempts: int = 3
    attempt_timeout_s: float = 60.0
    keepalive_s: float = 10.0


@dataclass(frozen=True)
class _Success:
    response: dict[str, Any]
    media: list[BlobRef]


class JobRunner:
    def __init__(
        self,
        *,
        bus: Bus,
        redis: "Redis",
        keys: Keys,
        media: MediaStore,
        infos: OrchestratorInfos,
        worker: AiWorker,
        limits: JobLimits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._names = bus.names
        self._redis = redis
        self._keys = keys
        self._media = media
        self._infos = infos
        self._worker = worker
        self._limits = limits
        self._clock = clock

    async def handle(self, job: AiJob, delivery: Progress) -> None:
        """The JOBS consumer's handler."""
        with bind_log_context(job_id=job.job_id):
            if await self._redis.exists(self._keys.job_done(job.job_id)):
                logger.info("job_already_done")
                return
            async with kept_alive(delivery, self._limits.keepalive_s):
                result = await self._run(job)
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
        capability = int(capability_for_pipeline(job.pipeline))
        budget = attempt_budget(job.max_attempts, self._limits.max_attempts)
        tried: list[str] = []
        candidates: Sequence[Candidate] = []
        last: AttemptFailed | None = None
        while should_continue(len(tried), budget, last) and self._clock() < job.deadline:
            candidate = next_candidate(candidates, tried)
            if candidate is None:
                candidates = await self._select(job, capability, tried, budget - len(tried))
                candidate = next_candidate(candidates, tried)
                if candidate is None:
                    break
            tried.append(candidate.url)
            started = time.monotonic()
            try:
                success = await self._attempt(job, candidate.url)
            except AttemptFailed as exc:
                last = exc
                self._infos.forget(candidate.url, job.pipeline, job.model_id)
                logger.warning(
                    "attempt_failed",
                    extra={"orchestrator": candidate.url, "kind": exc.kind, "error": exc.message},
                )
                await self._outcome(job, candidate.url, started, exc)
                continue
            await self._outcome(job, candidate.url, started, None)
            return JobResult(
                job_id=job.job_id,
                ok=True,
                response=success.response,
                media=success.media,
                orchestrator=candidate.url,
                attempts=len(tried),
            )
        if not tried and self._clock() >= job.deadline:
            return _failed(job, deadline_passed(), attempts=0)
        return _failed(job, verdict_for(last, job.pipeline, job.model_id), attempts=len(tried))

    async def _select(
        self, job: AiJob, capability: int, tried: list[str], limit: int
    ) -> list[Candidate]:
        """Ranked candidates from the selector; none when it cannot be reached (→ 503)."""
        request = SelectionRequest(
            job_id=job.job_id,
            capability=capability,
            pipeline=job.pipeline,
            model_id=job.model_id,
            exclude=list(tried),
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

    async def _attempt(self, job: AiJob, url: str) -> _Success:
        info = await self._infos.get(url, job.pipeline, job.model_id)
        segment = ai_segdata(
            job.pipeline,
            job.model_id,
            info.auth_token,
            ai_job_capabilities(job.pipeline, job.model_id),
            None,
        )
        remaining = job.deadline - self._clock()
        answer = await self._worker.run(
            info.transcoder,
            job.pipeline,
            {**job.request, "model_id": job.model_id},
            encode_segment(segment),
            encode_payment(None),
            timeout_s=max(1.0, min(self._limits.attempt_timeout_s, remaining)),
        )
        urls = media_urls(answer)
        files = [await self._worker.fetch_media(info.transcoder, u) for u in urls]
        stored: list[BlobRef] = []
        for n, (data, content_type) in enumerate(files):
            blob = await self._media.put(blob_key(job.job_id, n), data, content_type)
            stored.append(
                BlobRef(
                    key=blob.key, content_type=blob.content_type, size=blob.size, sha256=blob.sha256
                )
            )
        return _Success(response=rewrite_response(answer, job.job_id), media=stored)

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
