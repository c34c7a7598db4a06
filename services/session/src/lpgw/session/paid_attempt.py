"""One paid attempt on one orchestrator: fresh info, payment, the AI call, media.

A payment counts as answered when it is made (the signer settles it at once), so an attempt
the orchestrator answers costs one signer call. Any other ending is settled: `staged` when the
request never left (the payment is undone), `spent` when it was sent but brought no usable
answer, also on an unexpected exception, which then propagates (the job is redelivered and
pays again, so this payment must not count as answered). A settlement the signer cannot take
is logged and left: it only makes later requests send fewer tickets than they should, which
the orchestrator answers with `Insufficient balance`, and that attempt settles as `spent`.

Each payment carries an idempotency key naming this job, this delivery of it and this
attempt, so the signer answers a call retried after a timeout with the same payment.

Re-hosting fetches at most the files asked for (`num_images_per_prompt` images, else one),
each within SESSION_MEDIA_TIMEOUT_S and all before the job's deadline.
"""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lpgw.bus.events import AiJob, BlobRef
from lpgw.pipelines import PIPELINES
from lpgw.session.ai_worker import AiWorker, Outgoing, Sink
from lpgw.session.failures import AttemptTimedOut, ConnectFailed, TicketParamsUnusable
from lpgw.session.media import MediaStore, blob_key, media_urls, rewrite_response
from lpgw.session.orchestrator_info import FreshInfo, OrchestratorInfos
from lpgw.session.payments import Ending, Payments, PaymentSession
from lpgw.signer_client.errors import (
    OfferRefused,
    PaymentError,
    RefreshNeeded,
    SignerUnavailable,
    UnknownSession,
)
from lpgw.signer_client.sessions import Paid
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
        media_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._infos = infos
        self._payments = payments
        self._worker = worker
        self._media = media
        self._attempt_timeout_s = attempt_timeout_s
        self._media_timeout_s = media_timeout_s
        self._clock = clock

    async def run(
        self, job: AiJob, url: str, body: Outgoing, key: str, sink: Sink | None = None
    ) -> Success:
        """Raises AttemptFailed (this orchestrator failed) or PaymentError (the signer said no
        or could not be asked). `key` names this attempt of this delivery of the job. With a
        `sink`, the answer is a stream whose events go there as they come."""
        fresh, paid = await self._pay(job, url, job.units, key)
        self._infos.tickets_sent(url, job.pipeline, job.model_id, fresh, paid.tickets)
        remaining = job.deadline - self._clock()
        timeout_s = max(1.0, min(self._attempt_timeout_s, remaining))
        transcoder = fresh.info.transcoder
        try:
            if sink is not None:
                events = await self._worker.stream(
                    transcoder, job.pipeline, body, paid.segment, paid.payment, timeout_s, sink
                )
                return Success(response={"events": events}, media=[])
            answer = await self._worker.run(
                transcoder, job.pipeline, body, paid.segment, paid.payment, timeout_s
            )
        except ConnectFailed:
            await self._settle(paid, Ending.STAGED)
            raise
        except Exception:  # AttemptFailed, or a bug: either way the request was sent
            await self._settle(paid, Ending.SPENT)
            raise
        return await self._rehost(job, transcoder, answer)

    def forget(self, job: AiJob, url: str) -> None:
        """After a failure the next attempt on this orchestrator starts from fresh info."""
        self._infos.forget(url, job.pipeline, job.model_id)

    async def _pay(self, job: AiJob, url: str, units: int, key: str) -> tuple[FreshInfo, Paid]:
        """Pay with the cached info; an offer the signer refuses is fetched afresh once."""
        fresh = await self._infos.get(url, job.pipeline, job.model_id)
        try:
            return fresh, await self._pay_with(fresh, job, units, key)
        except (RefreshNeeded, OfferRefused) as exc:
            logger.info("ticket_params_refreshed", extra={"orchestrator": url, "why": exc.message})
        self._infos.forget(url, job.pipeline, job.model_id)
        fresh = await self._infos.get(url, job.pipeline, job.model_id)
        try:
            return fresh, await self._pay_with(fresh, job, units, key)
        except (RefreshNeeded, OfferRefused) as exc:
            raise TicketParamsUnusable(exc.message) from exc

    async def _pay_with(self, fresh: FreshInfo, job: AiJob, units: int, key: str) -> Paid:
        async def open_session(info: pb.OrchestratorInfo) -> PaymentSession:
            return await self._payments.open(info, job.pipeline, job.model_id)

        session = await fresh.session(open_session)
        try:
            return await self._payments.pay(
                session, units=units, key=key, job=job.job_id, account=job.account
            )
        except UnknownSession:  # the signer lost it (expired early, Redis wiped): open again
            fresh.payment_session = None
        session = await fresh.session(open_session)
        try:
            return await self._payments.pay(
                session, units=units, key=key, job=job.job_id, account=job.account
            )
        except UnknownSession as exc:  # lost again at once: the signer's state is not holding
            raise SignerUnavailable(f"the signer lost the payment session twice: {exc}") from exc

    async def _settle(self, paid: Paid, ending: Ending) -> None:
        try:
            await self._payments.settle(paid, ending)
        except PaymentError as exc:
            logger.warning(
                "payment_not_settled",
                extra={
                    "payment_id": paid.payment_id,
                    "outcome": ending.value,
                    "error": exc.message,
                },
            )

    async def _rehost(self, job: AiJob, transcoder: str, answer: dict[str, Any]) -> Success:
        """Media results fetched and stored; answers without media returned as they are."""
        pipeline = PIPELINES.get(job.pipeline)
        if pipeline is None or not pipeline.media:
            return Success(response=answer, media=[])
        kind = pipeline.media[0]
        most = max_files(job.request)
        files: list[tuple[bytes, str]] = []
        for url in media_urls(answer, kind, most):
            remaining = job.deadline - self._clock()
            if remaining <= 0:
                raise AttemptTimedOut("the job deadline passed before the media were fetched")
            timeout_s = min(self._media_timeout_s, remaining)
            files.append(await self._worker.fetch_media(transcoder, url, kind, timeout_s))
        stored: list[BlobRef] = []
        for n, (data, content_type) in enumerate(files):
            blob = await self._media.put(blob_key(job.job_id, n, kind), data, content_type)
            stored.append(
                BlobRef(
                    key=blob.key, content_type=blob.content_type, size=blob.size, sha256=blob.sha256
                )
            )
        return Success(response=rewrite_response(answer, job.job_id, kind, most), media=stored)


def max_files(request: Mapping[str, Any]) -> int:
    """The files an answer may carry: `num_images_per_prompt` (below 1 means 1, as the
    reference), else one."""
    asked = request.get("num_images_per_prompt", 1)
    try:
        return max(1, int(asked))
    except (TypeError, ValueError):
        return 1
