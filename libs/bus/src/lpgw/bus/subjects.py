"""Every NATS subject, JetStream stream, consumer and object-store bucket, defined once.

All names hang off a prefix so tests (and several gateways on one NATS) stay apart:
`Names("t1234")` gives subjects `t1234.jobs.ai.text-to-image` and streams `T1234_JOBS`.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaSpace:
    """Where one family of blobs lives: AI results, or live video (kept for another time)."""

    stream: str
    file_subject: Callable[[str], str]
    all_files: str
    bucket: str


@dataclass(frozen=True)
class Names:
    prefix: str = "lpgw"

    # Subjects -------------------------------------------------------------------------------
    def ai_job(self, pipeline: str) -> str:
        """A batch AI job submitted by intake (stream JOBS, work queue)."""
        return f"{self.prefix}.jobs.ai.{pipeline}"

    @property
    def ai_jobs(self) -> str:
        return f"{self.prefix}.jobs.ai.*"

    def result(self, inbox: str, job_id: str) -> str:
        """The final result of one job (stream RESULTS), addressed to the inbox of the intake
        process that waits for it."""
        return f"{self.prefix}.results.{inbox}.{job_id}"

    def inbox_results(self, inbox: str) -> str:
        """Every result addressed to one intake process: its single subscription."""
        return f"{self.prefix}.results.{inbox}.*"

    @property
    def results(self) -> str:
        return f"{self.prefix}.results.>"

    def chunk(self, inbox: str, job_id: str) -> str:
        """Core NATS, not stored: a piece of a streamed answer (LLM tokens, a BYOC response),
        to the intake process that relays it to the client."""
        return f"{self.prefix}.chunks.{inbox}.{job_id}"

    def inbox_chunks(self, inbox: str) -> str:
        return f"{self.prefix}.chunks.{inbox}.*"

    def cancel(self, job_id: str) -> str:
        """Core NATS: the client of a streamed job went away; the worker stops (and stops
        paying)."""
        return f"{self.prefix}.cancel.{job_id}"

    def outcome(self, workload: str) -> str:
        """One attempt against one orchestrator (stream OUTCOMES); the selector learns from it."""
        return f"{self.prefix}.outcomes.{workload}"

    @property
    def outcomes(self) -> str:
        return f"{self.prefix}.outcomes.*"

    @property
    def audit_signatures(self) -> str:
        """One event per signing call of the payment-signer (stream AUDIT)."""
        return f"{self.prefix}.audit.signatures"

    def media_file(self, token: str) -> str:
        """One small media file, stored whole as the last message on its subject (stream
        MEDIA); `token` is the blob key encoded as one subject token (lpgw.blobs)."""
        return f"{self.prefix}.media.{token}"

    @property
    def media_files(self) -> str:
        return f"{self.prefix}.media.*"

    # Live video ------------------------------------------------------------------------------
    def video_input(self, stream_id: str) -> str:
        """Segments (and the end) of one live stream, in order (stream VIDEO_IN); the session
        worker that holds the stream's lease reads them through `video_consumer(stream_id)`."""
        return f"{self.prefix}.video.in.{stream_id}"

    @property
    def video_inputs(self) -> str:
        return f"{self.prefix}.video.in.*"

    @property
    def video_started(self) -> str:
        """Core NATS, no stream: "a stream has input waiting", so a session worker claims it at
        once instead of at its next scan. The payload is the stream id."""
        return f"{self.prefix}.video.started"

    def video_done(self, stream_id: str, seq: int) -> str:
        """Core NATS: one segment's renditions are stored (payload: its SegmentRecord JSON); an
        HTTP push waiting for them listens here."""
        return f"{self.prefix}.video.done.{stream_id}.{seq}"

    @property
    def video_ended(self) -> str:
        """Core NATS: "end this stream" (payload: the stream id); the intake process holding its
        RTMP publisher disconnects it."""
        return f"{self.prefix}.video.ended"

    def video_media_file(self, token: str) -> str:
        """One video file (a source segment or a rendition), like `media_file`."""
        return f"{self.prefix}.vmedia.{token}"

    @property
    def video_media_files(self) -> str:
        return f"{self.prefix}.vmedia.*"

    @property
    def orchestrator_list(self) -> str:
        """Request/reply: every orchestrator the selector knows (served by the selector)."""
        return f"{self.prefix}.selector.orchestrators"

    @property
    def select(self) -> str:
        """Request/reply: "who should do this job" (served by the selector, queue group)."""
        return f"{self.prefix}.selector.select"

    # Streams, consumers, buckets -----------------------------------------------------------
    @property
    def _upper(self) -> str:
        return self.prefix.upper().replace(".", "_").replace("-", "_")

    @property
    def jobs_stream(self) -> str:
        return f"{self._upper}_JOBS"

    @property
    def results_stream(self) -> str:
        return f"{self._upper}_RESULTS"

    @property
    def outcomes_stream(self) -> str:
        return f"{self._upper}_OUTCOMES"

    @property
    def audit_stream(self) -> str:
        return f"{self._upper}_AUDIT"

    @property
    def media_stream(self) -> str:
        """Media files small enough for one message (most AI results): one publish to store,
        one direct get to read."""
        return f"{self._upper}_MEDIA"

    @property
    def media_bucket(self) -> str:
        """Object-store bucket for media files larger than one message (chunked)."""
        return f"{self._upper}_MEDIA_LARGE"

    @property
    def video_input_stream(self) -> str:
        return f"{self._upper}_VIDEO_IN"

    @property
    def video_media_stream(self) -> str:
        """Segments and renditions of live streams, kept for the recording retention."""
        return f"{self._upper}_VIDEO_MEDIA"

    @property
    def video_media_bucket(self) -> str:
        return f"{self._upper}_VIDEO_MEDIA_LARGE"

    @property
    def ai_media(self) -> "MediaSpace":
        return MediaSpace(self.media_stream, self.media_file, self.media_files, self.media_bucket)

    @property
    def video_media(self) -> "MediaSpace":
        return MediaSpace(
            self.video_media_stream,
            self.video_media_file,
            self.video_media_files,
            self.video_media_bucket,
        )

    @staticmethod
    def video_consumer(stream_id: str) -> str:
        """The durable consumer of one live stream's input: it outlives the worker reading it,
        so a worker that takes the stream over starts at the first unacknowledged segment."""
        return f"video-{stream_id}"

    session_consumer: str = "session-ai"
    selector_outcomes_consumer: str = "selector-outcomes"
    selector_queue: str = "selector"
