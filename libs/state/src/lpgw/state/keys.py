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
