"""image-to-video's asynchronous mode (ai-api.md §3.3, quirk 18): 202 with the request id at
once, then the result route answers "processing" until the job's result is stored.

The job's result goes to a fixed inbox name rather than this process's, so any intake replica
can answer the poll from the RESULTS stream (one direct get). A Redis key written at
acceptance tells an id still processing from one intake never gave; both live as long as
RESULTS keeps results.
"""

from typing import Any

from lpgw.bus.events import JobResult
from lpgw.bus.subjects import Names
from lpgw.intake.ai.large_results import ResultStore, unspilled
from lpgw.intake.ai.media_urls import rehost_urls
from lpgw.intake.errors import QueueUnavailable, UnknownRequestId
from lpgw.intake.replies import Reply, passes_through
from lpgw.intake.submission import JobBus
from lpgw.pipelines import AsyncFailure, AsyncStatus, ErrorMessage
from lpgw.service.envelope import INTERNAL_ERROR
from lpgw.state import Keys
from redis.asyncio import Redis
from redis.exceptions import RedisError

ASYNC_INBOX = "async"
"""The inbox of every asynchronous job: results are read back by id, not waited for."""
KEEP_S = 3600
"""As long as the RESULTS stream keeps a result (lpgw.bus.streams.RESULTS_MAX_AGE_S)."""


async def remember(redis: Redis, keys: Keys, job_id: str) -> None:
    try:
        await redis.set(keys.ai_async_job(job_id), "1", ex=KEEP_S)
    except RedisError as exc:
        raise QueueUnavailable(f"cannot record the request: {type(exc).__name__}") from exc


async def forget(redis: Redis, keys: Keys, job_id: str) -> None:
    """The job was never published: its id must not answer "processing" (best effort)."""
    try:
        await redis.delete(keys.ai_async_job(job_id))
    except RedisError:
        return


async def poll(
    redis: Redis,
    keys: Keys,
    bus: JobBus,
    names: Names,
    store: ResultStore,
    job_id: str,
    media_base_url: str,
) -> Reply:
    try:
        known = await redis.exists(keys.ai_async_job(job_id))
    except RedisError as exc:
        raise QueueUnavailable(f"cannot look the request up: {type(exc).__name__}") from exc
    if not known:
        raise UnknownRequestId("invalid request ID")
    result = await bus.last_stored(
        names.results_stream, names.result(ASYNC_INBOX, job_id), JobResult
    )
    if result is None:
        return Reply(202, AsyncStatus(status="processing").model_dump(exclude_none=True))
    return Reply(200, status_body(await unspilled(result, store), media_base_url))


def status_body(result: JobResult, media_base_url: str) -> dict[str, Any]:
    """The completed status: the video, or the failure's message (a 5xx's stays generic)."""
    if result.ok and result.response is not None:
        return {"status": "complete", "result": rehost_urls(result.response, media_base_url)}
    message = INTERNAL_ERROR
    if result.error is not None and passes_through(result.error.status):
        message = result.error.message
    failure = AsyncFailure(error=ErrorMessage(message=message))
    return {"status": "complete", "result": failure.model_dump()}
