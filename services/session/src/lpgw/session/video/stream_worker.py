"""One live stream, worked by the session worker that holds its lease.

Input arrives in order on the stream's durable consumer (one message at a time, so a worker
that takes over starts exactly at the first segment not yet acknowledged). For each segment:
try orchestrators in the order `choice.order` gives, within the segment's time budget and
`max_attempts`; each attempt is a fresh-enough OrchestratorInfo, one payment-signer call, one
`POST /segment` and the renditions' download. The renditions are stored, the segment recorded
in Redis (delivery writes playlists from it), and anyone waiting is told on `video_done`. When
no orchestrator could do it, the source alone is delivered and the record says so (a gap),
never silently. The stream's `StreamChoice` is saved in Redis whenever it changes.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from lpgw.blobs import BlobNotFound, BlobStore
from lpgw.bus import Bus
from lpgw.bus.consumer import Received
from lpgw.bus.errors import BusError
from lpgw.bus.events import TRANSCODING, Outcome, VideoInput
from lpgw.eth import keccak256
from lpgw.session.candidates import CandidateCache
from lpgw.session.failures import AttemptFailed, ConnectFailed, PriceRose, TicketParamsUnusable
from lpgw.session.orchestrator_info import FreshInfo, OrchestratorInfos
from lpgw.session.outcomes import OutcomeReporter
from lpgw.session.payments import Ending
from lpgw.session.video import choice as rules
from lpgw.session.video.paying import SegmentPayment, VideoPayments
from lpgw.session.video.segment_call import SegmentCaller, Transcoded
from lpgw.session.video.selection import caps_key
from lpgw.signer_client.errors import PaymentRefused, SignerUnavailable
from lpgw.video import profiles as video_profiles
from lpgw.video.codecs import segment_codecs
from lpgw.video.records import Rendition, SegmentRecord
from lpgw.video.streams import VideoStreams
from lpgw.wire.capabilities import decode_bitstring
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.transcoding import transcoding_capabilities

logger = logging.getLogger("lpgw.session.video")

MIN_BUDGET_S = 4.0
MIN_ATTEMPT_S = 0.25
"""Below this much budget left, another attempt cannot finish: deliver the source."""
SEGMENT_TIMEOUT_FLOOR_S = 8.0
"""The reference's `/segment` bound: max(8 s, 4 × duration) (wire.md §1.1)."""
TS = "video/mp2t"


@dataclass(frozen=True)
class VideoLimits:
    max_attempts: int = 3
    budget_factor: float = 3.0
    """A segment's time budget is this many times its duration (at least MIN_BUDGET_S)."""
    max_price: Fraction | None = None
    """Wei per pixel; None or 0 = no ceiling."""


@dataclass(frozen=True)
class VideoDeps:
    bus: Bus
    streams: VideoStreams
    media: BlobStore
    infos: OrchestratorInfos
    payments: VideoPayments
    caller: SegmentCaller
    candidates: CandidateCache
    outcomes: OutcomeReporter
    limits: VideoLimits
    end_session: Callable[[str, pb.AuthToken], object]
    """Starts EndTranscodingSession on one orchestrator (fire and forget)."""


@dataclass(frozen=True)
class _Done:
    url: str
    transcoded: Transcoded
    files: list[bytes]
    price: Fraction


class StreamWorker:
    def __init__(
        self,
        stream_id: str,
        deps: VideoDeps,
        profiles: list[video_profiles.VideoProfile],
        choice: rules.StreamChoice,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stream_id = stream_id
        self.finished = False
        """Set once the stream's end was handled: the manager then lets the stream go."""
        self._deps = deps
        self._profiles = profiles
        self._choice = choice
        self._clock = clock
        self._background: set[asyncio.Task[object]] = set()

    async def handle(self, event: VideoInput, received: Received) -> None:
        if event.ended:
            await self.end("publisher stopped")
            return
        if received.attempt > 1 and await self._deps.streams.segment(self.stream_id, event.seq):
            return  # done by a worker that died before acknowledging it
        if event.source is None:
            logger.warning("segment_without_source", extra=self._fields(event))
            return
        try:
            data, _ = await self._deps.media.get(event.source.key)
        except BlobNotFound:
            logger.warning("segment_source_expired", extra=self._fields(event))
            return
        keepalive = asyncio.create_task(_keep_in_progress(received))
        try:
            await self._segment(event, data)
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive

    async def end(self, reason: str) -> None:
        """Close the orchestrators' sessions (in the background) and mark the stream ended."""
        for url in self._choice.transcoders:
            fresh = self._deps.infos.cached(url, TRANSCODING, self.stream_id)
            if fresh is not None:
                self._deps.end_session(fresh.info.transcoder, fresh.info.auth_token)
            self._deps.infos.forget(url, TRANSCODING, self.stream_id)
        await self._deps.streams.end(self.stream_id, reason)
        self.finished = True
        logger.info("stream_ended", extra={"stream_id": self.stream_id, "reason": reason})

    async def close(self) -> None:
        """Let background work (settlements, standby warm-up) finish."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    # One segment -----------------------------------------------------------------------------
    async def _segment(self, event: VideoInput, data: bytes) -> None:
        started = time.monotonic()
        duration_s = max(event.duration_ms, 1) / 1000
        deadline = started + max(MIN_BUDGET_S, self._deps.limits.budget_factor * duration_s)
        capabilities = transcoding_capabilities(event.info.video_codec, self._profiles)
        data_hash = keccak256(data)
        before = self._choice.to_json()
        done, error = await self._attempts(event, data, data_hash, capabilities, deadline)
        record, spend = await self._store(event, data, done, error)
        await self._deps.streams.deliver(record, spend)
        await self._deps.bus.nc.publish(
            self._deps.bus.names.video_done(self.stream_id, event.seq),
            record.model_dump_json().encode(),
        )
        if self._choice.to_json() != before:
            await self._deps.streams.save_worker_state(self.stream_id, self._choice.to_json())
        logger.info(
            "segment_delivered",
            extra={
                **self._fields(event),
                "transcoded": record.transcoded,
                "orchestrator": record.orchestrator,
                "error": record.error,
                "ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        if done is not None:
            self._warm_standby(done.url, capabilities)

    async def _attempts(
        self,
        event: VideoInput,
        data: bytes,
        data_hash: bytes,
        capabilities: pb.Capabilities,
        deadline: float,
    ) -> tuple[_Done | None, str | None]:
        required = sorted(decode_bitstring(capabilities.bitstring))
        ranked = await self._deps.candidates.candidates(TRANSCODING, caps_key(required), ())
        order = rules.order(self._choice, [c.url for c in ranked], self._clock())
        error = "no orchestrator offers transcoding for this stream"
        for attempt, url in enumerate(order[: self._deps.limits.max_attempts], start=1):
            remaining = deadline - time.monotonic()
            if remaining < MIN_ATTEMPT_S:
                error = "the segment's time budget ran out"
                break
            started = time.monotonic()
            try:
                done = await self._attempt(
                    url, event, data, data_hash, capabilities, remaining, attempt
                )
            except AttemptFailed as exc:
                error = f"{url}: {exc.kind}: {exc.message}"
                self._failed(url, exc, started, event, required)
                continue
            except SignerUnavailable as exc:
                return None, f"payment signer unavailable: {exc}"
            except PaymentRefused as exc:
                error = f"{url}: payment refused: {exc}"
                self._failed(url, PriceRose(str(exc)), started, event, required)
                continue
            score = rules.latency_score(done.transcoded.round_trip_s, event.duration_ms / 1000)
            if rules.succeeded(self._choice, url, score, done.price):
                logger.info("stream_swapped", extra={"stream_id": self.stream_id, "to": url})
            self._report(event, url, started, None)
            return done, None
        return None, error

    async def _attempt(
        self,
        url: str,
        event: VideoInput,
        data: bytes,
        data_hash: bytes,
        capabilities: pb.Capabilities,
        remaining: float,
        attempt: int,
    ) -> _Done:
        deadline = time.monotonic() + remaining
        fresh = await self._deps.infos.get(url, TRANSCODING, self.stream_id, capabilities)
        price = _price(fresh.info)
        problem = rules.price_problem(self._choice, url, price, self._deps.limits.max_price)
        if problem is not None:
            raise PriceRose(problem)
        session = await fresh.session(lambda info: self._deps.payments.open(info, capabilities))
        paid = await self._deps.payments.pay(
            session,
            stream_id=self.stream_id,
            seq=event.seq,
            data_hash=data_hash,
            profiles=self._profiles,
            duration_ms=event.duration_ms,
            capabilities=capabilities,
            key=f"{self.stream_id}.{event.seq}.{attempt}",
        )
        try:
            transcoded = await self._deps.caller.transcode(
                fresh.info.transcoder,
                segment_header=paid.segment,
                payment_header=paid.payment,
                body=data,
                profiles=len(self._profiles),
                timeout_s=min(
                    deadline - time.monotonic(),
                    max(SEGMENT_TIMEOUT_FLOOR_S, 4 * event.duration_ms / 1000),
                ),
            )
            self._check_new_price(url, fresh, transcoded.info)
            files = await self._deps.caller.fetch_all(
                fresh.info.transcoder, transcoded.urls, max(deadline - time.monotonic(), 0.5)
            )
        except AttemptFailed as exc:
            ending = Ending.STAGED if isinstance(exc, ConnectFailed) else Ending.SPENT
            self._settle(paid, ending, 0)
            self._deps.infos.forget(url, TRANSCODING, self.stream_id)
            raise
        self._settle(paid, None, sum(transcoded.pixels))
        return _Done(url, transcoded, files, price)

    def _check_new_price(
        self, url: str, fresh: FreshInfo, info: pb.OrchestratorInfo | None
    ) -> None:
        """Every answer carries the orchestrator's current price (fact 24): a rise past the
        ceiling or twice the first price drops this orchestrator after this segment."""
        if info is None or not info.HasField("price_info"):
            return
        problem = rules.price_problem(self._choice, url, _price(info), self._deps.limits.max_price)
        if problem is not None:
            logger.warning("orchestrator_price_rose", extra={"orchestrator": url, "why": problem})
            self._deps.infos.forget(url, TRANSCODING, self.stream_id)
            rules.failed(self._choice, url, self._clock())

    async def _store(
        self, event: VideoInput, data: bytes, done: _Done | None, error: str | None
    ) -> tuple[SegmentRecord, int]:
        """Store the renditions and build the segment's record (source first)."""
        assert event.source is not None
        source = Rendition(
            name=video_profiles.SOURCE,
            key=event.source.key,
            size=len(data),
            width=event.info.width,
            height=event.info.height,
            bandwidth=_bandwidth(len(data), event.duration_ms),
            codecs=segment_codecs(data),
        )
        renditions = [source]
        spend = 0
        if done is not None:
            keys = [f"{self.stream_id}/{p.name}/{event.seq}{p.extension}" for p in self._profiles]
            await asyncio.gather(
                *(
                    self._deps.media.put(key, file, _content_type(p))
                    for key, file, p in zip(keys, done.files, self._profiles, strict=True)
                )
            )
            renditions += [
                Rendition(
                    name=p.name,
                    key=key,
                    size=len(file),
                    width=p.width,
                    height=p.height,
                    bandwidth=_bandwidth(len(file), event.duration_ms),
                    codecs=segment_codecs(file) if p.container == "mpegts" else "",
                    content_type=_content_type(p),
                )
                for key, file, p in zip(keys, done.files, self._profiles, strict=True)
            ]
            spend = math.ceil(sum(done.transcoded.pixels) * done.price)
        record = SegmentRecord(
            stream_id=self.stream_id,
            seq=event.seq,
            duration_ms=event.duration_ms,
            discontinuity=event.discontinuity,
            renditions=renditions,
            transcoded=done is not None,
            orchestrator=done.url if done is not None else None,
            error=error,
            received_at=event.received_at,
            delivered_at=self._clock(),
        )
        return record, spend

    # Bookkeeping -----------------------------------------------------------------------------
    def _failed(
        self, url: str, exc: AttemptFailed, started: float, event: VideoInput, required: list[int]
    ) -> None:
        until = rules.failed(self._choice, url, self._clock())
        self._deps.candidates.drop(TRANSCODING, caps_key(required), url)
        if isinstance(exc, TicketParamsUnusable):
            self._deps.infos.forget(url, TRANSCODING, self.stream_id)
        self._report(event, url, started, exc)
        logger.warning(
            "segment_attempt_failed",
            extra={
                **self._fields(event),
                "orchestrator": url,
                "error_kind": exc.kind,
                "error": exc.message,
                "suspended_for_s": round(until - self._clock(), 1),
            },
        )

    def _report(
        self, event: VideoInput, url: str, started: float, failure: AttemptFailed | None
    ) -> None:
        self._deps.outcomes.add(
            [
                Outcome(
                    job_id=f"{self.stream_id}.{event.seq}",
                    workload="transcode",
                    pipeline=TRANSCODING,
                    model_id="",
                    orchestrator=url,
                    ok=failure is None,
                    latency_ms=(time.monotonic() - started) * 1000,
                    error_kind=failure.kind if failure is not None else None,
                )
            ]
        )

    def _settle(self, paid: SegmentPayment, ending: Ending | None, debit_units: int) -> None:
        """Off the segment's path: the next segment does not wait for the signer."""
        self._spawn(self._settle_quietly(paid, ending, debit_units))

    async def _settle_quietly(
        self, paid: SegmentPayment, ending: Ending | None, debit_units: int
    ) -> None:
        try:
            await self._deps.payments.settle(paid, ending, debit_units)
        except (SignerUnavailable, PaymentRefused) as exc:
            logger.warning("segment_settle_failed", extra={"error": str(exc)})

    def _warm_standby(self, current: str, capabilities: pb.Capabilities) -> None:
        """Keep the next orchestrator's info and payment session ready, so a failover does
        not wait for a GetOrchestrator and a session opening."""
        required = sorted(decode_bitstring(capabilities.bitstring))
        self._spawn(self._warm(current, required, capabilities))

    async def _warm(self, current: str, required: list[int], capabilities: pb.Capabilities) -> None:
        try:
            ranked = await self._deps.candidates.candidates(
                TRANSCODING, caps_key(required), (current,)
            )
            order = rules.order(self._choice, [c.url for c in ranked], self._clock())
            standby = next((url for url in order if url != current), None)
            if standby is None or self._deps.infos.cached(standby, TRANSCODING, self.stream_id):
                return
            fresh = await self._deps.infos.get(standby, TRANSCODING, self.stream_id, capabilities)
            await fresh.session(lambda info: self._deps.payments.open(info, capabilities))
        except (AttemptFailed, SignerUnavailable, PaymentRefused) as exc:
            logger.info("standby_not_ready", extra={"stream_id": self.stream_id, "error": str(exc)})

    def _spawn(self, work: Coroutine[Any, Any, object]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _fields(self, event: VideoInput) -> dict[str, object]:
        return {"stream_id": self.stream_id, "seq": event.seq}


def _price(info: pb.OrchestratorInfo) -> Fraction:
    price = info.price_info
    if not info.HasField("price_info") or price.pixelsPerUnit <= 0:
        return Fraction(0)
    return Fraction(price.pricePerUnit, price.pixelsPerUnit)


def _bandwidth(size: int, duration_ms: int) -> int:
    return size * 8 * 1000 // max(duration_ms, 1)


def _content_type(profile: video_profiles.VideoProfile) -> str:
    return "video/mp4" if profile.container == "mp4" else TS


async def _keep_in_progress(received: Received, every_s: float = 1.0) -> None:
    """Tell JetStream the segment is still being worked on, so a short ack_wait (which makes
    a takeover quick) does not redeliver it while this worker is alive."""
    while True:
        await asyncio.sleep(every_s)
        with contextlib.suppress(BusError):
            await received.in_progress()
