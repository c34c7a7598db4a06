"""One paid attempt on one orchestrator: fresh info, payment, the AI call, settlement, media.

Every payment that was made is completed, whatever happens next: `staged` when the request
never left (the reserved credit goes back), `spent` when it was sent but brought no answer,
`received` as soon as the orchestrator answered 200 (it has debited the fee by then, even if
the media download fails afterwards). An unexpected exception during the request is completed
as `spent` too before it propagates: the job is redelivered and pays again, so this payment's
credit must not stay reserved. A completion the signer cannot take is logged and left: the
signer counts a pending payment as spent after 10 min.

Re-hosting fetches at most the `num_images_per_prompt` images asked for, each within 4 s and
all before the job's deadline.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lpgw.bus.events import AiJob, BlobRef
from lpgw.session.ai_worker import MEDIA_TIMEOUT_S, AiWorker
from lpgw.session.failures import (
    AttemptTimedOut,
    ConnectFailed,
    TicketParamsUnusable,
)
from lpgw.session.media import MediaStore, blob_key, media_urls, rewrite_response
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.session.payments import (
    Completion,
    Paid,
    PaymentError,
    PaymentRequest,
    Payments,
    TicketParamsRefused,
)
from lpgw.session.units import requested_images
from lpgw.wire.capabilities import ai_job_capabilities
from lpgw.wire.net import lp_rpc_pb2 as pb

logger = logging.getLogger("lpgw.session.attempt")


@dataclass(frozen=True)
class Success:
    response: dict[str, Any]
    media: list[BlobRef]


class PaidAttempt:
    def __init__(
        self,
        *,
        infos: OrchestratorInfos,
        payments: Payments,
        worker: AiWorker,
        media: MediaStore,
        attempt_timeout_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._infos = infos
        self._payments = payments
        self._worker = worker
        self._media = media
        self._attempt_timeout_s = attempt_timeout_s
        self._clock = clock

    async def run(self, job: AiJob, url: str, units: int) -> Success:
        """Raises AttemptFailed (this orchestrator failed) or PaymentError (the signer said no)."""
        info, paid = await self._pay(job, url, units)
        self._infos.tickets_sent(url, job.pipeline, job.model_id, info, paid.tickets)
        remaining = job.deadline - self._clock()
        try:
            answer = await self._worker.run(
                info.transcoder,
                job.pipeline,
                {**job.request, "model_id": job.model_id},
                paid.segment,
                paid.payment,
                timeout_s=max(1.0, min(self._attempt_timeout_s, remaining)),
            )
        except ConnectFailed:
            await self._complete(paid, Completion.STAGED)
            raise
        except Exception:  # AttemptFailed, or a bug: either way the request was sent
            await self._complete(paid, Completion.SPENT)
            raise
        await self._complete(paid, Completion.RECEIVED)
        return await self._rehost(job, info.transcoder, answer)

    def forget(self, job: AiJob, url: str) -> None:
        """After a failure the next attempt on this orchestrator starts from fresh info."""
        self._infos.forget(url, job.pipeline, job.model_id)

    async def _pay(self, job: AiJob, url: str, units: int) -> tuple[pb.OrchestratorInfo, Paid]:
        """Pay with the cached info; params the signer refuses are fetched afresh once."""
        info = await self._infos.get(url, job.pipeline, job.model_id)
        try:
            return info, await self._payments.pay(_request(job, info, units))
        except TicketParamsRefused as exc:
            logger.info("ticket_params_refreshed", extra={"orchestrator": url, "why": exc.message})
        self._infos.forget(url, job.pipeline, job.model_id)
        info = await self._infos.get(url, job.pipeline, job.model_id)
        try:
            return info, await self._payments.pay(_request(job, info, units))
        except TicketParamsRefused as exc:
            raise TicketParamsUnusable(exc.message) from exc

    async def _complete(self, paid: Paid, completion: Completion) -> None:
        try:
            await self._payments.complete(paid, completion)
        except PaymentError as exc:
            logger.warning(
                "payment_not_completed",
                extra={
                    "payment_id": paid.payment_id,
                    "outcome": completion.value,
                    "error": exc.message,
                },
            )

    async def _rehost(self, job: AiJob, transcoder: str, answer: dict[str, Any]) -> Success:
        files: list[tuple[bytes, str]] = []
        for url in media_urls(answer, max_images=requested_images(job.request)):
            remaining = job.deadline - self._clock()
            if remaining <= 0:
                raise AttemptTimedOut("the job deadline passed before the media were fetched")
            timeout_s = min(MEDIA_TIMEOUT_S, remaining)
            files.append(await self._worker.fetch_media(transcoder, url, timeout_s))
        stored: list[BlobRef] = []
        for n, (data, content_type) in enumerate(files):
            blob = await self._media.put(blob_key(job.job_id, n), data, content_type)
            stored.append(
                BlobRef(
                    key=blob.key, content_type=blob.content_type, size=blob.size, sha256=blob.sha256
                )
            )
        return Success(response=rewrite_response(answer, job.job_id), media=stored)


def _request(job: AiJob, info: pb.OrchestratorInfo, units: int) -> PaymentRequest:
    return PaymentRequest(
        info=info,
        pipeline=job.pipeline,
        model_id=job.model_id,
        units=units,
        session=job.job_id,
        capabilities=ai_job_capabilities(job.pipeline, job.model_id),
    )
