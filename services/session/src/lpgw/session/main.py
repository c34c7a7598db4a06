"""The session process: work AI jobs from JOBS against orchestrators.

Start order: settings → logs → NATS (retried until up, streams declared) → HTTP health server
→ gateway identity from the signer → blob store → JOBS consumer. SIGTERM stops the consumer
first (no new jobs; in-flight jobs get a grace period, unfinished ones are left
unacknowledged and JetStream redelivers them), then the HTTP server.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from fractions import Fraction

import aiohttp
from lpgw.blobs import BlobStore
from lpgw.bus import AiJob, Bus, Names, connect_until_stopped
from lpgw.eth import to_checksum
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes, observed
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings
from lpgw.session.ai_worker import AiWorker, new_http_client
from lpgw.session.byoc.paying import ByocPayments
from lpgw.session.byoc.runner import ByocRunner
from lpgw.session.candidates import CandidateCache
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.session.outcomes import OutcomeReporter
from lpgw.session.paid_attempt import PaidAttempt
from lpgw.session.payments import OffChainPayments, Payments, SignerPayments
from lpgw.session.settings import SessionSettings
from lpgw.session.video.closing import SessionCloser
from lpgw.session.video.manager import ManagerLimits, VideoManager
from lpgw.session.video.paying import VideoPayments
from lpgw.session.video.segment_call import SegmentCaller
from lpgw.session.video.selection import transcoder_ask
from lpgw.session.video.stream_worker import VideoDeps, VideoLimits
from lpgw.signer_client import GatewayIdentity, bearer_token, fetch_identity
from lpgw.signer_client.byoc import SignerJobs
from lpgw.signer_client.sessions import SignerSessions, signer_http
from lpgw.state import Keys, connect
from lpgw.video.streams import VideoStreams
from lpgw.wire.byoc import eth_address_header
from lpgw.wire.client import OrchestratorClient
from starlette.applications import Starlette

logger = logging.getLogger("lpgw.session")

SERVICE = "session"
STOP_GRACE_S = 20.0


async def run(stop: asyncio.Event, settings: SessionSettings | None = None) -> None:
    settings = settings if settings is not None else load_settings(SessionSettings)
    with observed(SERVICE, settings):
        await _work(stop, settings)


async def _work(stop: asyncio.Event, settings: SessionSettings) -> None:
    token = bearer_token(settings.signer_token, settings.signer_token_file)
    names = Names(settings.bus_prefix)
    bus = await connect_until_stopped(settings.nats_url, names, client_name=SERVICE, stop=stop)
    if bus is None:
        return
    working = asyncio.Event()
    readiness = Readiness()
    readiness.add("nats", lambda: bus.is_connected)
    readiness.add("consumer", working.is_set)
    app = Starlette(routes=health_routes(readiness))
    http = asyncio.create_task(serve_http(app, settings.http_host, settings.http_port, stop))
    try:
        async with new_http_client() as client, signer_http() as to_signer:
            identity = await fetch_identity(to_signer, settings.signer_url, token, stop)
            if identity is None:
                return
            media = await BlobStore.open(bus.nc, names, ttl_s=settings.session_media_ttl_s)
            payments: Payments = (
                SignerPayments(SignerSessions(to_signer, settings.signer_url, token))
                if settings.signer_url
                else OffChainPayments()
            )
            attempt = PaidAttempt(
                infos=OrchestratorInfos(OrchestratorClient(), identity),
                payments=payments,
                worker=AiWorker(client, max_response_bytes=settings.session_max_response_bytes),
                media=media,
                attempt_timeout_s=settings.session_attempt_timeout_s,
                media_timeout_s=settings.session_media_timeout_s,
            )
            async with (
                OutcomeReporter(bus) as outcomes,
                _video(settings, bus, client, to_signer, token, identity, outcomes, stop),
            ):
                signer = SignerSessions(to_signer, settings.signer_url, token)
                byoc = ByocRunner(
                    bus=bus,
                    http=client,
                    inputs=media,
                    jobs=SignerJobs(to_signer, settings.signer_url, token)
                    if settings.signer_url
                    else None,
                    payments=ByocPayments(signer if settings.signer_url else None),
                    eth_address=_eth_address(identity),
                    outcomes=outcomes,
                )
                runner = JobRunner(
                    bus=bus,
                    attempt=attempt,
                    inputs=media,
                    results=media,
                    byoc=byoc,
                    outcomes=outcomes,
                    limits=JobLimits(
                        max_attempts=settings.session_max_attempts,
                        keepalive_s=settings.session_ack_wait_s / 3,
                        max_deliver=settings.session_max_deliver,
                        selection_ttl_s=settings.session_selection_ttl_s,
                    ),
                )
                consumer = await bus.consume(
                    stream=names.jobs_stream,
                    durable=names.session_consumer,
                    filter_subject=names.ai_jobs,
                    model=AiJob,
                    handler=runner.handle,
                    ack_wait=settings.session_ack_wait_s,
                    max_deliver=settings.session_max_deliver,
                    concurrency=settings.session_concurrency,
                )
                working.set()
                logger.info("session_started", extra={"concurrency": settings.session_concurrency})
                await stop.wait()
                working.clear()
                await consumer.stop(STOP_GRACE_S)
    finally:
        stop.set()
        await http
        await bus.close()


@contextlib.asynccontextmanager
async def _video(
    settings: SessionSettings,
    bus: Bus,
    http: aiohttp.ClientSession,
    to_signer: aiohttp.ClientSession,
    token: str | None,
    identity: GatewayIdentity,
    outcomes: OutcomeReporter,
    stop: asyncio.Event,
) -> AsyncIterator[None]:
    """The video session manager beside the AI consumer, while the block runs."""
    if not settings.session_video_enabled:
        yield
        return
    redis = await connect(settings.redis_url)
    orchestrators = OrchestratorClient()
    closer = SessionCloser(orchestrators)
    max_price = Fraction(settings.session_video_max_price) or None
    deps = VideoDeps(
        bus=bus,
        streams=VideoStreams(redis, Keys(settings.bus_prefix), settings.video_retention_s),
        media=await BlobStore.open(
            bus.nc, bus.names, ttl_s=settings.video_retention_s, space=bus.names.video_media
        ),
        infos=OrchestratorInfos(orchestrators, identity),
        payments=VideoPayments(
            SignerSessions(to_signer, settings.signer_url, token) if settings.signer_url else None
        ),
        caller=SegmentCaller(http, max_rendition_bytes=settings.session_max_response_bytes),
        candidates=CandidateCache(
            transcoder_ask(bus, max_price), ttl_s=max(settings.session_selection_ttl_s, 5.0)
        ),
        outcomes=outcomes,
        limits=VideoLimits(
            max_attempts=settings.session_video_max_attempts,
            budget_factor=settings.session_video_budget_factor,
            max_price=max_price,
        ),
        end_session=closer.close,
    )
    manager = VideoManager(
        deps,
        ManagerLimits(
            lease_s=settings.session_video_lease_s,
            idle_end_s=settings.session_video_idle_end_s,
            max_streams=settings.session_video_max_streams,
        ),
    )
    running = asyncio.create_task(manager.run(stop), name="lpgw-session-video")
    try:
        yield
    finally:
        stop.set()
        await running
        await closer.wait()
        await redis.aclose()


def _eth_address(identity: GatewayIdentity) -> str:
    """The `Livepeer-Eth-Address` header of BYOC token requests (empty off-chain)."""
    if not identity.address:
        return ""
    return eth_address_header(to_checksum(identity.address), identity.sig)


def main() -> None:
    run_service(run)
