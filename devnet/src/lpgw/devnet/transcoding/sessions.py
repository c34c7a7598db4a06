"""Transcoding sessions and the `--max-sessions` cap (wire.md §5.1 step 2, §7.3 step 2).

A session is an auth token's `session_id` that sent a segment recently; it stays counted until
it has been idle for `idle_s` or `EndTranscodingSession` ends it. Past the cap a *new* session
is refused with `OrchestratorCapped`; a session already counted is always served. Synchronous,
so one call is atomic on the event loop: admission checks and counts in one step.
"""

import time
from collections.abc import Callable

from lpgw.devnet.transcoding.errors import OrchestratorCapped

DEFAULT_IDLE_S = 60.0


class TranscodingSessions:
    def __init__(
        self,
        limit: int,
        idle_s: float = DEFAULT_IDLE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._idle_s = idle_s
        self._clock = clock
        self._last_seen: dict[str, float] = {}

    def _expire(self) -> None:
        cutoff = self._clock() - self._idle_s
        for session_id in [s for s, seen in self._last_seen.items() if seen <= cutoff]:
            del self._last_seen[session_id]

    def active(self) -> int:
        self._expire()
        return len(self._last_seen)

    def full(self) -> bool:
        """No room for a new session (GetOrchestrator refuses transcoding requests)."""
        return self.active() >= self._limit

    def admit(self, session_id: str) -> None:
        """Count `session_id` as active now; raises OrchestratorCapped for a new one past the
        cap."""
        self._expire()
        if session_id not in self._last_seen and len(self._last_seen) >= self._limit:
            raise OrchestratorCapped()
        self._last_seen[session_id] = self._clock()

    def touch(self, session_id: str) -> None:
        """Keep a session that is still working counted (a long transcode is not idleness)."""
        if session_id in self._last_seen:
            self._last_seen[session_id] = self._clock()

    def end(self, session_id: str) -> None:
        self._last_seen.pop(session_id, None)
