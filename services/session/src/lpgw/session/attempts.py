"""Which orchestrator to try next for a job, and when to stop trying.

Each attempt goes to a different orchestrator, in the selector's order. The budget is the
smaller of the job's own `max_attempts` and the service's SESSION_MAX_ATTEMPTS (at least one).
A failure that another orchestrator cannot fix (a bad request) stops the job at once.
"""

from collections.abc import Collection, Sequence
from typing import Protocol, TypeVar

from lpgw.session.failures import AttemptFailed


class HasUrl(Protocol):
    @property
    def url(self) -> str: ...


C = TypeVar("C", bound=HasUrl)


def attempt_budget(job_max_attempts: int, service_max_attempts: int) -> int:
    return max(1, min(job_max_attempts, service_max_attempts))


def should_continue(attempts_made: int, budget: int, last: AttemptFailed | None) -> bool:
    """Another attempt is allowed: budget left and the last failure is worth retrying."""
    if last is not None and not last.retry_elsewhere:
        return False
    return attempts_made < budget


def next_candidate(candidates: Sequence[C], tried: Collection[str]) -> C | None:
    """The best candidate not tried yet for this job, or None when all were tried."""
    for candidate in candidates:
        if candidate.url not in tried:
            return candidate
    return None
