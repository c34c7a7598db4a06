"""One BYOC job from JOBS to its streamed answer and JobResult (ai-api.md §5.3).

Per job: the known orchestrators (the selector's list, narrowed by the job's include/exclude)
are asked for tokens; the offers are tried in the order they answered: sign the job (the
signer), pay in advance (`paying`), `POST {service}/process/request/{route}` with the body, and
stream the answer back to intake as it comes (`lpgw.bus.chunks`), whatever its type: a JSON
body, a file, or server-sent events. A 4xx from the orchestrator or container is the
application's answer and is relayed as it is; a 5xx or a transport failure moves on to the
next offer, as long as nothing was relayed yet. When no offer worked the result is a 503 whose
message lists each orchestrator's reason. When the client goes away, the connection to the
orchestrator is closed, which stops the container's work and the orchestrator's charge.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from lpgw.bus import Bus
from lpgw.bus.chunks import ChunkSender, Head
from lpgw.bus.errors import BusError
from lpgw.bus.events import (
    AiJob,
    ByocSpec,
    JobError,
    JobResult,
    OrchestratorList,
    OrchestratorListRequest,
    Outcome,
)
from lpgw.session.byoc.discovery import Offer, find_offers
from lpgw.session.byoc.paying import ByocPayments, JobPayment
from lpgw.session.inputs import InputLost, InputReader, read_inputs
from lpgw.session.outcomes import OutcomeReporter
from lpgw.signer_client.byoc import SignerJobs
from lpgw.signer_client.errors import JobNotSigned, PaymentError, SignerUnavailable
from lpgw.wire.byoc import JobRequest
from lpgw.wire.headers import (
    BALANCE_HEADER,
    BYOC_JOB_HEADER,
    METADATA_HEADER,
    ORCHESTRATOR_URL_HEADER,
    PAYMENT_HEADER,
)

logger = logging.getLogger("lpgw.session.byoc")

REQUEST_MARGIN_S = 5.0
"""The reference's timeout of the forwarded request: `timeout_seconds` + 5 s."""
LIST_TIMEOUT_S = 2.0
RELAYED_HEADERS = ("Content-Type", BALANCE_HEADER, METADATA_HEADER, "Content-Disposition")
READ_CHUNK_BYTES = 64 * 1024
MAX_REASON_CHARS = 200


@dataclass
class _Trail:
    """Why each orchestrator did not do the job, for the client's error."""

    reasons: list[str] = field(default_factory=list)

    def add(self, url: str, reason: str) -> None:
        self.reasons.append(f"{url}: {reason[:MAX_REASON_CHARS]}")


class _Failed(Exception):
    """This offer failed before anything reached the client: try the next one."""


class ByocRunner:
    def __init__(
        self,
        *,
        bus: Bus,
        http: aiohttp.ClientSession,
        inputs: InputReader,
        jobs: SignerJobs | None,
        payments: ByocPayments,
        eth_address: str,
        outcomes: OutcomeReporter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._http = http
        self._inputs = inputs
        self._jobs = jobs
        self._payments = payments
        self._eth_address = eth_address
        self._outcomes = outcomes
        self._clock = clock

    async def run(self, job: AiJob, sender: ChunkSender) -> JobResult:
        """The job's answer goes to `sender` as it comes; the caller stops the work when the
        client goes away."""
        spec = job.byoc
        assert spec is not None
        if self._jobs is None:
            return _failed(job, 503, "BYOC jobs need the payment signer (SIGNER_URL)")
        try:
            files = await read_inputs(job, self._inputs)
        except InputLost as exc:
            return _failed(job, 503, str(exc))
        body = files["body"].data if "body" in files else b""
        return await self._offers(job, spec, body, sender)

    async def _offers(
        self, job: AiJob, spec: ByocSpec, body: bytes, sender: ChunkSender
    ) -> JobResult:
        urls = await self._orchestrators(spec)
        offers, refusals = await find_offers(
            self._http,
            urls,
            capability=spec.capability,
            eth_address=self._eth_address,
            total_s=spec.search_timeout_s,
            each_s=spec.search_response_timeout_s,
        )
        trail = _Trail()
        for refusal in refusals:
            trail.add(refusal.url, refusal.reason)
        if not offers:
            return _failed(job, 503, _no_offer(spec, urls, trail))
        assert self._jobs is not None
        try:
            signed = await self._jobs.sign_job(spec.request, spec.parameters)
        except JobNotSigned as exc:  # the job's own text; SignerUnavailable is redelivered
            return _failed(job, 400, f"the job cannot be signed: {exc.message}")
        header = JobRequest(
            id=job.job_id,
            request=spec.request,
            parameters=spec.parameters,
            capability=spec.capability,
            sender=signed.sender,
            sig=signed.sig,
            timeout_seconds=spec.timeout_seconds,
        ).encode()
        for n, offer in enumerate(offers):
            if self._clock() >= job.deadline:
                trail.add(offer.url, "the job's time ran out")
                break
            key = f"{job.job_id}.{sender.delivery}.{n}"
            started = time.monotonic()
            try:
                payment = await self._payments.pay(
                    offer.url,
                    offer.token,
                    spec.capability,
                    spec.timeout_seconds,
                    key,
                    job.job_id,
                    job.account,
                )
            except SignerUnavailable:
                raise
            except PaymentError as exc:
                trail.add(offer.url, f"not paid: {exc.message}")
                continue
            try:
                status = await self._forward(offer, spec, header, payment, body, sender)
            except _Failed as exc:
                self._record(job, offer.url, started, str(exc))
                trail.add(offer.url, str(exc))
                continue
            self._record(job, offer.url, started, None)
            return JobResult(
                job_id=job.job_id,
                ok=status < 400,
                response={},
                orchestrator=offer.url,
                attempts=n + 1,
            )
        return _failed(job, 503, _no_offer(spec, urls, trail))

    async def _forward(
        self,
        offer: Offer,
        spec: ByocSpec,
        header: str,
        payment: JobPayment,
        body: bytes,
        sender: ChunkSender,
    ) -> int:
        """The job on one orchestrator, its answer relayed; the answer's status."""
        service = (offer.token.service_addr or offer.url).rstrip("/")
        url = f"{service}/process/request/{spec.route}".rstrip("/")
        headers = {BYOC_JOB_HEADER: header}
        if payment.header:
            headers[PAYMENT_HEADER] = payment.header
        if spec.content_type:
            headers["Content-Type"] = spec.content_type
        timeout = aiohttp.ClientTimeout(total=spec.timeout_seconds + REQUEST_MARGIN_S, connect=3.0)
        started = time.monotonic()
        # Only a connection never made means the payment never left; any later failure (a
        # timeout, the client leaving) finds the orchestrator charging the seconds it ran.
        sent = True
        try:
            async with self._http.post(
                url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                if response.status >= 500:
                    text = (await response.content.read(512)).decode(errors="replace")
                    raise _Failed(f"{response.status}: {text.strip()}")
                relayed = {
                    name: response.headers[name]
                    for name in RELAYED_HEADERS
                    if name in response.headers
                }
                relayed[ORCHESTRATOR_URL_HEADER] = offer.url
                await sender.start(Head(response.status, relayed))
                async for data in response.content.iter_chunked(READ_CHUNK_BYTES):
                    await sender.send(data)
                return response.status
        except aiohttp.ClientConnectorError as exc:
            sent = False
            raise _Failed(f"unreachable: {type(exc).__name__}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            if sender.started:  # half an answer is out: nobody else can finish it
                logger.warning("byoc_stream_broken", extra={"error": type(exc).__name__})
                return 502
            raise _Failed(f"failed: {type(exc).__name__}") from exc
        finally:
            await self._settle(payment, time.monotonic() - started, sent)

    async def _settle(self, payment: JobPayment, seconds: float, sent: bool) -> None:
        try:
            await asyncio.shield(self._payments.settle(payment, seconds, sent))
        except PaymentError as exc:
            logger.warning("byoc_payment_not_settled", extra={"error": exc.message})

    async def _orchestrators(self, spec: ByocSpec) -> list[str]:
        """Known orchestrators (the selector's list), narrowed by the job's parameters."""
        try:
            listed = await self._bus.request(
                self._bus.names.orchestrator_list,
                OrchestratorListRequest(),
                OrchestratorList,
                timeout=LIST_TIMEOUT_S,
            )
        except BusError as exc:
            logger.warning("orchestrators_not_listed", extra={"error": str(exc)})
            return list(spec.include)
        urls = [o.url for o in listed.orchestrators if o.ok]
        if spec.include:
            urls = [u for u in urls if u in spec.include]
        return [u for u in urls if u not in spec.exclude]

    def _record(self, job: AiJob, url: str, started: float, error: str | None) -> None:
        self._outcomes.add(
            [
                Outcome(
                    job_id=job.job_id,
                    workload="byoc",
                    pipeline="byoc",
                    model_id=job.model_id,
                    orchestrator=url,
                    ok=error is None,
                    latency_ms=(time.monotonic() - started) * 1000,
                    error_kind=None if error is None else "byoc_failed",
                )
            ]
        )


def _no_offer(spec: ByocSpec, urls: list[str], trail: _Trail) -> str:
    if not urls:
        return f"No orchestrators found for capability {spec.capability}: none is known"
    return f"No orchestrator could run capability {spec.capability}: " + "; ".join(trail.reasons)


def _failed(job: AiJob, status: int, message: str) -> JobResult:
    return JobResult(
        job_id=job.job_id, ok=False, error=JobError(status=status, message=message), attempts=0
    )
