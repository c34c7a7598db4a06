"""EndTranscodingSession when a stream ends: frees the orchestrator's capacity at once instead
of when its session times out. Nobody waits for it; a failure is only logged."""

import asyncio
import logging

from lpgw.wire.client import OrchestratorClient
from lpgw.wire.errors import OrchestratorError
from lpgw.wire.net import lp_rpc_pb2 as pb

logger = logging.getLogger("lpgw.session.video")

END_TIMEOUT_S = 3.0


class SessionCloser:
    def __init__(self, client: OrchestratorClient) -> None:
        self._client = client
        self._tasks: set[asyncio.Task[None]] = set()

    def close(self, transcoder: str, auth_token: pb.AuthToken) -> None:
        task = asyncio.create_task(self._end(transcoder, auth_token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _end(self, transcoder: str, auth_token: pb.AuthToken) -> None:
        try:
            await self._client.end_transcoding_session(transcoder, auth_token, END_TIMEOUT_S)
        except OrchestratorError as exc:
            logger.info(
                "end_transcoding_session_failed",
                extra={"orchestrator": transcoder, "error": str(exc)},
            )
