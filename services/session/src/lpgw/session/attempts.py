"""When to stop trying orchestrators for a job.

Each attempt goes to a different orchestrator, in the selector's order. The budget is the
smaller of the job's own `max_attempts` and the service's SESSION_MAX_ATTEMPTS (at least one).
A failure that another orchestrator cannot fix (a bad request) stops the job at once.
"""

from lpgw.session.failures import AttemptFailed


def attempt_budget(job_max_attempts: int, service_max_attempts: int) -> int:
    return max(1, min(job_max_attempts, service_max_attempts))


def should_continue(attempts_made: int, budget: int, last: AttemptFailed | None) -> bool:
    """Another attempt is allowed: budget left and the last failure is worth retrying."""
    if last is not None and not last.retry_elsewhere:
        return False
    return attempts_made < budget
