"""Every Redis key, defined once, under a prefix tests can set."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "lpgw"

    def orchestrator(self, url: str) -> str:
        """Hash: what the selector last learned from probing this orchestrator."""
        return f"{self.prefix}:orch:{url}"

    @property
    def orchestrators(self) -> str:
        """Set of known orchestrator URLs."""
        return f"{self.prefix}:orchs"

    def orchestrator_stats(self, url: str, pipeline: str, model_id: str) -> str:
        """Hash: success and failure counts for one orchestrator and capability."""
        return f"{self.prefix}:stats:{url}:{pipeline}:{model_id}"

    def orchestrator_recent(self, url: str, pipeline: str, model_id: str) -> str:
        """List: the last outcomes (ok and latency) for one orchestrator and capability."""
        return f"{self.prefix}:recent:{url}:{pipeline}:{model_id}"

    def ai_async_job(self, job_id: str) -> str:
        """String with a TTL: an asynchronous AI request intake accepted (image-to-video with
        `Prefer: respond-async`), so its result route tells "processing" from "unknown id"."""
        return f"{self.prefix}:ai:async:{job_id}"

    # Live video -------------------------------------------------------------------------------
    def video_stream(self, stream_id: str) -> str:
        """Hash: one live stream's record and counters (lpgw.video.streams)."""
        return f"{self.prefix}:video:stream:{stream_id}"

    @property
    def video_streams(self) -> str:
        """Sorted set: every stream id known (live or ended, until retention), by start time."""
        return f"{self.prefix}:video:streams"

    @property
    def video_live(self) -> str:
        """Set: ids of streams not ended (the concurrency cap counts it; workers scan it)."""
        return f"{self.prefix}:video:live"

    def video_segments(self, stream_id: str) -> str:
        """Hash: seq -> SegmentRecord JSON of every segment delivered (the recording)."""
        return f"{self.prefix}:video:segs:{stream_id}"

    def video_order(self, stream_id: str) -> str:
        """Sorted set: the delivered sequence numbers, scored by seq (playlist order)."""
        return f"{self.prefix}:video:order:{stream_id}"

    def video_lease(self, stream_id: str) -> str:
        """String with a TTL: the id of the session worker that owns the stream."""
        return f"{self.prefix}:video:lease:{stream_id}"

    def video_worker_state(self, stream_id: str) -> str:
        """String: the owning worker's per-stream state (orchestrators, scores, suspensions),
        JSON, so a worker that takes over carries on from it."""
        return f"{self.prefix}:video:wstate:{stream_id}"

    # API keys -----------------------------------------------------------------------------------
    def api_key(self, key_id: str) -> str:
        """Hash: one API key's record (name, SHA-256 of its secret, rate limit, created and
        revoked times); the secret itself is never stored."""
        return f"{self.prefix}:apikey:{key_id}"

    @property
    def api_keys(self) -> str:
        """Sorted set: every API key id, by creation time (for listing)."""
        return f"{self.prefix}:apikeys"

    def api_key_rate(self, key_id: str) -> str:
        """Hash with a TTL: one key's rate-limit bucket, shared by every intake replica."""
        return f"{self.prefix}:apikey:{key_id}:rate"

    def account_spend(self, account: str) -> str:
        """Hash: what the signer paid for one API key's requests (`wei`: fees in whole wei,
        rounded up; `payments`: how many), written by the payment-signer."""
        return f"{self.prefix}:pm:spend:account:{account}"

    # Payment-signer ---------------------------------------------------------------------------
    def nonce(self, sender: str, recipient_rand_hash: str) -> str:
        """Counter: last ticket nonce used for these ticket params (advanced atomically)."""
        return f"{self.prefix}:pm:nonce:{sender}:{recipient_rand_hash}"

    def credit(self, recipient: str, bucket: str) -> str:
        """Hash: the sender's credit with an orchestrator for one balance bucket (`c`, an
        exact rational as text) and its version (`v`, for compare-and-set)."""
        return f"{self.prefix}:pm:credit:{recipient}:{bucket}"

    def payment_session(self, session_id: str) -> str:
        """Hash: a payment session's offer (OrchestratorInfo), capability and bucket."""
        return f"{self.prefix}:pm:session:{session_id}"

    def payment(self, payment_id: str) -> str:
        """String: one payment's record (its answer and what it did to the credit), which
        makes a retried call get the same answer."""
        return f"{self.prefix}:pm:payment:{payment_id}"

    def payment_settled(self, payment_id: str) -> str:
        """String: set once the end of a payment's request corrected the credit."""
        return f"{self.prefix}:pm:payment:{payment_id}:settled"

    def client_spend(self, client: str, period: int) -> str:
        """Counter: EV (wei) signed for one client in one budget period."""
        return f"{self.prefix}:pm:spend:client:{client}:{period}"

    def job_spend(self, job: str) -> str:
        """Counter: EV (wei) signed for one job or stream."""
        return f"{self.prefix}:pm:spend:job:{job}"
