"""The live video side of one intake process, put together from its settings: Redis, the video
blob store, auth, the RTMP server and HTTP push, and the `video_ended` subscription through
which any intake asks the one holding a stream's RTMP publisher to disconnect it.
"""

from dataclasses import dataclass

import httpx
import nats.errors
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.intake import metrics
from lpgw.intake.rtmp import RtmpServer
from lpgw.intake.settings import IntakeSettings
from lpgw.intake.video.auth import Authorizer
from lpgw.intake.video.endings import Endings
from lpgw.intake.video.ingest import Ingest
from lpgw.intake.video.keys import StreamKeys
from lpgw.intake.video.publishers import RtmpIngest
from lpgw.intake.video.push import PushIngest
from lpgw.intake.video.webhook import AuthWebhook
from lpgw.service.logs import get_logger
from lpgw.state import Keys, connect, ping
from lpgw.video.streams import VideoStreams
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from redis.asyncio import Redis

log = get_logger(__name__)


@dataclass
class VideoIntake:
    settings: IntakeSettings
    bus: Bus
    redis: Redis
    store: BlobStore
    ingest: Ingest
    endings: Endings
    rtmp: RtmpIngest
    push: PushIngest
    http: httpx.AsyncClient
    server: RtmpServer | None = None
    rtmp_port: int | None = None
    _ended_sub: Subscription | None = None

    @classmethod
    async def start(cls, settings: IntakeSettings, bus: Bus) -> "VideoIntake":
        """Connect, open the store, listen for RTMP (when enabled). Nothing is left running
        if a step fails."""
        redis = await connect(settings.redis_url)
        http = httpx.AsyncClient()
        try:
            video = await cls._assemble(settings, bus, redis, http)
        except BaseException:
            await http.aclose()
            await redis.aclose()
            raise
        try:
            await video._listen()
        except BaseException:
            await video.close()
            raise
        return video

    @classmethod
    async def _assemble(
        cls, settings: IntakeSettings, bus: Bus, redis: Redis, http: httpx.AsyncClient
    ) -> "VideoIntake":
        names = bus.names
        retention = settings.video_retention_s
        store = await BlobStore.open(bus.nc, names, ttl_s=retention, space=names.video_media)
        streams = VideoStreams(redis, Keys(settings.bus_prefix), retention)
        ingest = Ingest(bus, store, streams, settings.intake_max_streams)
        webhook = (
            AuthWebhook(settings.intake_auth_webhook_url, http)
            if settings.intake_auth_webhook_url
            else None
        )
        auth = Authorizer(
            StreamKeys(settings.intake_stream_keys), webhook, settings.default_profiles
        )
        endings = Endings(ingest)
        rtmp = RtmpIngest(
            auth,
            ingest,
            endings,
            segment_ms=round(settings.intake_segment_s * 1000),
            max_segment_ms=round(settings.intake_max_segment_s * 1000),
            grace_s=settings.intake_reconnect_grace_s,
        )
        push = PushIngest(
            auth,
            ingest,
            endings,
            bus,
            store,
            idle_s=settings.intake_push_idle_s,
            wait_s=settings.intake_push_wait_s,
        )
        video = cls(settings, bus, redis, store, ingest, endings, rtmp, push, http)
        endings.on_done = video.forget
        return video

    async def _listen(self) -> None:
        self._ended_sub = await self.bus.nc.subscribe(self.bus.names.video_ended, cb=self._on_ended)
        if self.settings.intake_rtmp_enabled:
            self.server = RtmpServer(self.rtmp.authorize)
            self.rtmp_port = await self.server.start(
                self.settings.rtmp_host, self.settings.intake_rtmp_port
            )

    async def close(self) -> None:
        """Close every publisher (their tails are published), then the timers and clients."""
        if self.server is not None:
            await self.server.close()
        if self._ended_sub is not None:
            try:
                await self._ended_sub.unsubscribe()
            except nats.errors.Error as exc:
                log.debug("unsubscribe_failed", extra={"error": type(exc).__name__})
        await self.endings.close()
        await self.http.aclose()
        await self.redis.aclose()

    async def end_stream(self, stream_id: str) -> bool:
        """End a stream from the API: its publisher is disconnected wherever it is, and its
        end is published for the session. False if it was not live."""
        await self.ingest.announce_ended(stream_id)
        ended = await self.ingest.end(stream_id)
        self.forget(stream_id)
        return ended

    def forget(self, stream_id: str) -> None:
        """This process is done with the stream."""
        self.endings.cancel(stream_id)
        self.push.forget(stream_id)
        metrics.forget_stream(stream_id)

    async def redis_ready(self) -> bool:
        return await ping(self.redis)

    def rtmp_ready(self) -> bool:
        return self.server is not None and self.rtmp_port is not None

    async def _on_ended(self, message: Msg) -> None:
        stream_id = message.data.decode(errors="replace")
        if self.rtmp.disconnect(stream_id):
            log.info("rtmp_publisher_disconnected", extra={"stream_id": stream_id})
        self.forget(stream_id)
