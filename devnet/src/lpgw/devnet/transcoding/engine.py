"""Where segments are transcoded: a thread pool sized by `--transcode-workers`, so the CPU
work never runs on the event loop (PyAV releases the GIL inside codec calls)."""

import asyncio
import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from lpgw.devnet.transcoding.passthrough import passthrough
from lpgw.devnet.transcoding.renditions import Rendition
from lpgw.devnet.transcoding.x264 import transcode
from lpgw.video.profiles import VideoProfile

Mode = Literal["x264", "passthrough"]


class Transcoder:
    def __init__(self, mode: Mode, preset: str, workers: int) -> None:
        self.mode: Mode = mode
        self._preset = preset
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="transcode")

    async def run(self, data: bytes, profiles: Sequence[VideoProfile]) -> list[Rendition]:
        """The renditions of one segment, in profile order; raises TranscodeFailed."""
        if self.mode == "passthrough":
            job = functools.partial(passthrough, data, profiles)
        else:
            job = functools.partial(transcode, data, profiles, self._preset)
        return await asyncio.get_running_loop().run_in_executor(self._pool, job)

    def close(self) -> None:
        """Drop queued segments; the ones running finish in their threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
