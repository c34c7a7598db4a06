"""Who may publish which stream, with which renditions.

RTMP: the key in `rtmp://HOST/live/{key}` is looked up among the configured keys first (the
stream gets the default renditions); a key none matches goes to the auth webhook when one is
configured (which may name the stream and its renditions), and is refused otherwise.

HTTP push names its stream in the URL, which is public, so it must prove it may publish it:
with the stream's key in `Authorization: Bearer <key>`, or through the auth webhook (which sees
the whole push URL, query included). Without either, the push is refused.
"""

from dataclasses import dataclass

from lpgw.intake.video.errors import UnknownKey
from lpgw.intake.video.keys import StreamKeys, derived_stream_id, key_label
from lpgw.intake.video.transcode_config import TranscodeConfig
from lpgw.intake.video.webhook import AuthWebhook
from lpgw.video.profiles import VideoProfile


@dataclass(frozen=True)
class Grant:
    """A stream a publisher may publish, and how to transcode it."""

    stream_id: str
    profiles: tuple[VideoProfile, ...]
    how: str
    """`key` or `webhook`, for logs."""


class Authorizer:
    def __init__(
        self,
        keys: StreamKeys,
        webhook: AuthWebhook | None,
        default_profiles: tuple[VideoProfile, ...],
    ) -> None:
        self._keys = keys
        self._webhook = webhook
        self._defaults = default_profiles

    async def rtmp(self, ingest_url: str, key: str) -> Grant:
        """UnknownKey, AuthDenied or AuthUnavailable when refused."""
        stream_id = self._keys.stream_for(key) if key else None
        if stream_id is not None:
            return Grant(stream_id, self._defaults, "key")
        if self._webhook is None or not key:
            raise UnknownKey(f"unknown stream key {key_label(key)}")
        config = await self._webhook.check(ingest_url)
        return Grant(
            config.stream_id or derived_stream_id(key),
            config.profiles or self._defaults,
            "webhook",
        )

    async def push(
        self, ingest_url: str, stream_id: str, key: str | None, override: TranscodeConfig | None
    ) -> Grant:
        """`override`: the request's `Livepeer-Transcode-Configuration`, whose renditions win
        over the webhook's (fact 57)."""
        chosen = override.profiles if override else ()
        if key is not None and self._keys.matches(stream_id, key):
            return Grant(stream_id, chosen or self._defaults, "key")
        if self._webhook is None:
            if key is None:
                raise UnknownKey(
                    "HTTP push needs the stream's key (Authorization: Bearer <key>) "
                    "or an auth webhook"
                )
            raise UnknownKey(f"wrong key for stream {stream_id}")
        config = await self._webhook.check(ingest_url)
        return Grant(
            config.stream_id or stream_id, chosen or config.profiles or self._defaults, "webhook"
        )
