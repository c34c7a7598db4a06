"""Injected latency and failures, so gateways can be tested against a slow or flaky node."""

import asyncio
import random


class Faults:
    def __init__(self, latency_s: float, failure_rate: float, rng: random.Random) -> None:
        self._latency_s = latency_s
        self._failure_rate = failure_rate
        self._rng = rng

    async def delay(self) -> None:
        if self._latency_s > 0:
            await asyncio.sleep(self._latency_s)

    def strikes(self) -> bool:
        """True with the configured probability; a rate of 1 always strikes, 0 never."""
        return self._failure_rate > 0 and self._rng.random() < self._failure_rate
