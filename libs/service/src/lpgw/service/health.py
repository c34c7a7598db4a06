"""Readiness: named checks (NATS connected, Redis answers, key loaded) with a timeout.

A check is a plain callable (a flag the service keeps) or an async one (a round trip to a
dependency). It is ready when it returns anything but False within the timeout; raising, returning
False or timing out makes it not ready. Checks run concurrently, so one slow dependency costs
one timeout, not the sum. Changes of state are logged once, not on every probe.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable

from lpgw.service.logs import get_logger

Check = Callable[[], object | Awaitable[object]]
log = get_logger(__name__)


class Readiness:
    def __init__(self, timeout_s: float = 2.0) -> None:
        self.timeout_s = timeout_s
        self._checks: dict[str, Check] = {}
        self._last: dict[str, bool] = {}

    def add(self, name: str, check: Check) -> None:
        if name in self._checks:
            raise ValueError(f"readiness check {name!r} is already registered")
        self._checks[name] = check

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def _run(self, name: str, check: Check) -> bool:
        reason = ""
        try:
            async with asyncio.timeout(self.timeout_s):
                result = check()
                if inspect.isawaitable(result):
                    result = await result
                ok = result is not False
        except TimeoutError:
            ok, reason = False, f"no answer within {self.timeout_s} s"
        except Exception as exc:  # a failing dependency is a result here, not an error
            ok, reason = False, type(exc).__name__
        if self._last.get(name) != ok:
            if ok:
                log.info("readiness_check_ok", extra={"check": name})
            else:
                log.warning("readiness_check_failed", extra={"check": name, "reason": reason})
            self._last[name] = ok
        return ok

    async def check(self) -> tuple[bool, dict[str, bool]]:
        """(all ready, {check name: ready}); no checks means ready."""
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(n, self._checks[n]) for n in names))
        by_name = dict(zip(names, results, strict=True))
        return all(results), by_name
