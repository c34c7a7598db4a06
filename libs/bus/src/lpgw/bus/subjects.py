"""Every NATS subject, JetStream stream, consumer and object-store bucket, defined once.

All names hang off a prefix so tests (and several gateways on one NATS) stay apart:
`Names("t1234")` gives subjects `t1234.jobs.ai.text-to-image` and streams `T1234_JOBS`.
"""

from dataclasses import dataclass


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

    session_consumer: str = "session-ai"
    selector_outcomes_consumer: str = "selector-outcomes"
    selector_queue: str = "selector"
