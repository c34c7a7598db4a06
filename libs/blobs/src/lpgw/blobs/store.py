"""`BlobStore`: media bytes in JetStream, expiring by age, one round trip each way when small.

Every blob is the last message on its own subject of the MEDIA stream (`names.media_file`),
read back with one direct get. A file that fits in one message (most AI results: images of a
few hundred kilobytes) is that message; a larger one lives in the MEDIA_LARGE object-store
bucket (chunked, several round trips) and its message is an empty marker saying so. The
content type travels in the message headers (and the object's, for large files), so a reader
gets back exactly what the writer declared.

Why not the object store for everything: a put there is one acknowledged publish per 128 KiB
chunk plus one for its metadata, and a get creates an ordered consumer to stream the chunks;
measured under `make bench` that cost more CPU in NATS, session and delivery than everything
else delivery does (docs/performance.md).
"""

import base64
import hashlib
from dataclasses import dataclass

import nats.errors
from lpgw.bus.subjects import MediaSpace, Names
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ObjectMeta, ObjectStoreConfig, StorageType, StreamConfig
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.object_store import ObjectStore

CONTENT_TYPE_HEADER = "Content-Type"
LOCATION_HEADER = "Lpgw-Blob-Location"
LARGE = "object-store"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
HEADER_ROOM = 16 * 1024
"""Bytes of a message left for headers and subject: a file up to max_payload − this is inline."""


class BlobError(Exception):
    """The store failed (connection, JetStream, bucket)."""


class BlobNotFound(BlobError):
    """No blob under this key (never stored, deleted, or expired)."""


@dataclass(frozen=True)
class StoredBlob:
    key: str
    content_type: str
    size: int
    sha256: str


def subject_token(key: str) -> str:
    """The key as one NATS subject token: unpadded base64url (letters, digits, `-`, `_`)."""
    return base64.urlsafe_b64encode(key.encode()).rstrip(b"=").decode("ascii")


class BlobStore:
    """Open it with `BlobStore.open`, which creates the stream and the bucket when missing."""

    def __init__(
        self, js: JetStreamContext, space: MediaSpace, large: ObjectStore, inline_limit: int
    ) -> None:
        self._js = js
        self._space = space
        self._large = large
        self.inline_limit = inline_limit

    @classmethod
    async def open(
        cls, nc: Client, names: Names, ttl_s: float, space: MediaSpace | None = None
    ) -> "BlobStore":
        """The store of this prefix (AI media unless `space` says otherwise, e.g.
        `names.video_media`); blobs expire `ttl_s` seconds after they were written."""
        space = space or names.ai_media
        js = nc.jetstream()
        try:
            await _media_stream(js, space, ttl_s)
            large = await _large_bucket(js, space.bucket, ttl_s)
        except (nats.errors.Error, OSError) as exc:
            raise BlobError(f"cannot open the media store: {type(exc).__name__}") from exc
        return cls(js, space, large, max(nc.max_payload - HEADER_ROOM, 0))

    async def put(self, key: str, data: bytes, content_type: str) -> StoredBlob:
        """Store `data` under `key` (replacing any previous blob)."""
        headers = {CONTENT_TYPE_HEADER: content_type}
        try:
            if len(data) > self.inline_limit:
                meta = ObjectMeta(name=key, headers={CONTENT_TYPE_HEADER: [content_type]})
                await self._large.put(key, data, meta=meta)
                data_inline, headers[LOCATION_HEADER] = b"", LARGE
            else:
                data_inline = data
            await self._js.publish(
                self._space.file_subject(subject_token(key)), data_inline, headers=headers
            )
        except (nats.errors.Error, OSError) as exc:
            raise BlobError(f"cannot store {key}: {type(exc).__name__}") from exc
        return StoredBlob(
            key=key,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )

    async def get(self, key: str) -> tuple[bytes, str]:
        """The blob's bytes and content type; BlobNotFound if there is none."""
        subject = self._space.file_subject(subject_token(key))
        try:
            message = await self._js.get_last_msg(self._space.stream, subject, direct=True)
            headers = message.headers or {}
            content_type = headers.get(CONTENT_TYPE_HEADER, DEFAULT_CONTENT_TYPE)
            if headers.get(LOCATION_HEADER) != LARGE:
                return bytes(message.data or b""), content_type
            large = await self._large.get(key)
        except NotFoundError as exc:
            raise BlobNotFound(key) from exc
        except (nats.errors.Error, OSError) as exc:
            raise BlobError(f"cannot read {key}: {type(exc).__name__}") from exc
        return bytes(large.data or b""), content_type


async def _media_stream(js: JetStreamContext, space: MediaSpace, ttl_s: float) -> None:
    """Created when missing, like the bucket: whoever opens the store first sets the TTL."""
    try:
        await js.stream_info(space.stream)
    except NotFoundError:
        config = StreamConfig(
            name=space.stream,
            subjects=[space.all_files],
            storage=StorageType.FILE,
            max_age=ttl_s,
            max_msgs_per_subject=1,
            allow_direct=True,
        )
        await js.add_stream(config)


async def _large_bucket(js: JetStreamContext, bucket: str, ttl_s: float) -> ObjectStore:
    try:
        return await js.object_store(bucket)
    except BucketNotFoundError:
        config = ObjectStoreConfig(ttl=ttl_s, storage=StorageType.FILE)
        return await js.create_object_store(bucket, config=config)
