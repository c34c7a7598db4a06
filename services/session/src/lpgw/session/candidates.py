"""The selector's ranked candidates for a (pipeline, model), kept for a moment.

Asking the selector costs a NATS round trip for the session and three Redis round trips for
the selector; jobs for the same pipeline and model arriving within `ttl_s` of each other get
the same answer anyway. So the answer is kept for `ttl_s` (SESSION_SELECTION_TTL_S) and shared
by every job in that window; concurrent jobs that find it missing wait for one request instead
of each sending their own. An orchestrator that fails an attempt is dropped from the kept list
at once, so later jobs do not go to it before the selector has heard of the failure; a job
that has excluded every kept candidate asks the selector afresh.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from lpgw.bus.events import Candidate

KEPT_CANDIDATES = 8
"""How many candidates one request asks for: enough for every retry of most jobs."""

Ask = Callable[[str, str, Sequence[str], int], Awaitable[list[Candidate]]]
"""(pipeline, model_id, exclude, limit) -> ranked candidates (the selector's `select`)."""


@dataclass
class _Kept:
    candidates: list[Candidate]
    fetched_at: float


class CandidateCache:
    def __init__(
        self, ask: Ask, *, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ask = ask
        self._ttl_s = ttl_s
        self._clock = clock
        self._kept: dict[tuple[str, str], _Kept] = {}
        self._asking: dict[tuple[str, str], asyncio.Future[list[Candidate]]] = {}

    async def candidates(
        self, pipeline: str, model_id: str, exclude: Collection[str]
    ) -> list[Candidate]:
        """Ranked candidates not in `exclude`, best first (empty: nobody can do it)."""
        key = (pipeline, model_id)
        kept = self._kept.get(key)
        if kept is None or self._clock() - kept.fetched_at >= self._ttl_s:
            kept = _Kept(await self._refresh(key), self._clock())
            if kept.candidates:  # "nobody" is asked again: orchestrators appear at any probe
                self._kept[key] = kept
        usable = [c for c in kept.candidates if c.url not in exclude]
        if usable or not exclude:
            return usable
        return await self._ask(pipeline, model_id, list(exclude), KEPT_CANDIDATES)

    def drop(self, pipeline: str, model_id: str, url: str) -> None:
        """`url` just failed an attempt: no kept answer offers it again."""
        kept = self._kept.get((pipeline, model_id))
        if kept is not None:
            kept.candidates = [c for c in kept.candidates if c.url != url]

    async def _refresh(self, key: tuple[str, str]) -> list[Candidate]:
        """One selector request per key at a time; concurrent callers share its answer."""
        asking = self._asking.get(key)
        if asking is not None:
            return await asyncio.shield(asking)
        future: asyncio.Future[list[Candidate]] = asyncio.get_running_loop().create_future()
        self._asking[key] = future
        try:
            answer = await self._ask(key[0], key[1], [], KEPT_CANDIDATES)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        else:
            future.set_result(answer)
            return answer
        finally:
            del self._asking[key]
