"""Remuxed fMP4 fragments, made once per replica and kept in memory up to a size bound.

A DASH player asks every representation's segments in turn, and several viewers ask the same
ones: each (stream, rendition, track, seq, start time) is remuxed once, concurrent requests for
it wait for that one remux, and the least recently used fragments are dropped past the bound.
Remuxing runs in worker threads (PyAV releases the GIL while FFmpeg works), a few at a time.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio.to_thread
from anyio import CapacityLimiter
from lpgw.delivery.video.remux import Fragment, Track, fragment


@dataclass(frozen=True)
class FragmentKey:
    stream_id: str
    rendition: str
    track: Track
    seq: int
    start_ms: int


class Fragments:
    def __init__(self, max_bytes: int, threads: int = 2) -> None:
        self.max_bytes = max_bytes
        self._cache: OrderedDict[FragmentKey, Fragment] = OrderedDict()
        self._bytes = 0
        self._pending: dict[FragmentKey, asyncio.Future[Fragment]] = {}
        self._limiter = CapacityLimiter(threads)

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    async def get(self, key: FragmentKey, load: Callable[[], Awaitable[bytes]]) -> Fragment:
        """The fragment of `key`, remuxing the MPEG-TS that `load` returns when not cached.
        Errors of `load` or the remux reach every waiter and are not cached."""
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        pending = self._pending.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request was cancelled, not the remux it waited for
                return await self.get(key, load)
        future: asyncio.Future[Fragment] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            ts = await load()
            made = await anyio.to_thread.run_sync(
                fragment, ts, key.track, key.start_ms, limiter=self._limiter
            )
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here: nobody else may be waiting
            raise
        finally:
            del self._pending[key]
        future.set_result(made)
        self._keep(key, made)
        return made

    def _keep(self, key: FragmentKey, made: Fragment) -> None:
        if made.size > self.max_bytes:
            return
        self._cache[key] = made
        self._bytes += made.size
        while self._bytes > self.max_bytes:
            _, dropped = self._cache.popitem(last=False)
            self._bytes -= dropped.size
