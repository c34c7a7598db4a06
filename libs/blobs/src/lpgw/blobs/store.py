"""`BlobStore`: media bytes in a JetStream object-store bucket whose objects expire by age.

Objects are named by key ("{job_id}/{file}"); the content type travels in the object's
headers, so a reader gets back exactly what the writer declared.
"""

import hashlib
from dataclasses import dataclass

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import ObjectMeta, ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.object_store import ObjectStore

CONTENT_TYPE_HEADER = "Content-Type"
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class BlobError(Exception):
    """The object store failed (connection, JetStream, bucket)."""


class BlobNotFound(BlobError):
    """No blob under this key (never stored, deleted, or expired)."""


@dataclass(frozen=True)
class StoredBlob:
    key: str
    content_type: str
    size: int
    sha256: str


class BlobStore:
    """One bucket. Open it with `BlobStore.open`, which creates the bucket when missing."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    @classmethod
    async def open(cls, js: JetStreamContext, bucket: str, ttl_s: float) -> "BlobStore":
        """The bucket, created (file storage, objects expire after `ttl_s`) if missing."""
        try:
            try:
                store = await js.object_store(bucket)
            except BucketNotFoundError:
                config = ObjectStoreConfig(ttl=ttl_s, storage=StorageType.FILE)
                store = await js.create_object_store(bucket, config=config)
        except (nats.errors.Error, OSError) as exc:
            raise BlobError(f"cannot open bucket {bucket}: {type(exc).__name__}") from exc
        return cls(store)

    async def put(self, key: str, data: bytes, content_type: str) -> StoredBlob:
        """Store `data` under `key` (replacing any previous blob)."""
        meta = ObjectMeta(name=key, headers={CONTENT_TYPE_HEADER: [content_type]})
        try:
            await self._store.put(key, data, meta=meta)
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
        try:
            result = await self._store.get(key)
        except NotFoundError as exc:
            raise BlobNotFound(key) from exc
        except (nats.errors.Error, OSError) as exc:
            raise BlobError(f"cannot read {key}: {type(exc).__name__}") from exc
        return bytes(result.data or b""), _content_type(result.info.headers)


def _content_type(headers: dict[str, object] | None) -> str:
    """Headers hold lists of values (as Go clients write them); accept a plain string too."""
    value = (headers or {}).get(CONTENT_TYPE_HEADER)
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    if isinstance(value, str):
        return value
    return DEFAULT_CONTENT_TYPE
