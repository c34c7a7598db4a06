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
        """Hash: success/failure counts and latency for one orchestrator and capability."""
        return f"{self.prefix}:stats:{url}:{pipeline}:{model_id}"

    def job_done(self, job_id: str) -> str:
        """Marker that a job's result was published; redeliveries skip finished jobs."""
        return f"{self.prefix}:job:{job_id}:done"

    # Payment-signer ---------------------------------------------------------------------------
    def nonce(self, sender: str, recipient_rand_hash: str) -> str:
        """Counter: last ticket nonce used for these ticket params (advanced atomically)."""
        return f"{self.prefix}:pm:nonce:{sender}:{recipient_rand_hash}"

    def credit(self, recipient: str, bucket: str) -> str:
        """Hash: the sender's credit with an orchestrator for one balance bucket."""
        return f"{self.prefix}:pm:credit:{recipient}:{bucket}"

    def pending_payment(self, payment_id: str) -> str:
        """Hash: a balance update staged by a payment, until its work completes."""
        return f"{self.prefix}:pm:pending:{payment_id}"

    def idempotent_payment(self, digest: str) -> str:
        """Hash: the answer of a payment made under one (client, idempotency key) digest."""
        return f"{self.prefix}:pm:idempotency:{digest}"

    def client_spend(self, client: str, period: int) -> str:
        """Counter: EV (wei) signed for one client in one budget period."""
        return f"{self.prefix}:pm:spend:client:{client}:{period}"

    def session_spend(self, session: str) -> str:
        """Counter: EV (wei) signed for one job or stream."""
        return f"{self.prefix}:pm:spend:session:{session}"
