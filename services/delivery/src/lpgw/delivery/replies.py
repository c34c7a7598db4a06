"""Error answers of delivery, in the envelope both kinds of client parse (ai-api.md §1.1)."""

from typing import Any

from lpgw.blobs import BlobError, BlobNotFound
from lpgw.delivery.media_keys import InvalidMediaPath
from lpgw.delivery.video.errors import RemuxFailed, VideoNotFound
from lpgw.service.envelope import error_body
from redis.exceptions import RedisError

VideoFailure = VideoNotFound | BlobError | RedisError | RemuxFailed
VIDEO_FAILURES = (VideoNotFound, BlobError, RedisError, RemuxFailed)


def error_reply(exc: InvalidMediaPath | BlobError) -> tuple[int, dict[str, Any]]:
    """Status and body for each reason a file cannot be served."""
    match exc:
        case InvalidMediaPath():
            return 400, error_body(str(exc))
        case BlobNotFound():
            return 404, error_body(f"not found: /stream/{exc}")
        case _:
            return 503, error_body("media store unavailable, retry later")


def video_error_reply(exc: VideoFailure, path: str) -> tuple[int, dict[str, Any]]:
    """Status and body for each reason a playlist, manifest or segment cannot be served."""
    match exc:
        case VideoNotFound():
            return 404, error_body(str(exc))
        case BlobNotFound():
            return 404, error_body(f"not found: {path} (not stored yet, or expired)")
        case BlobError():
            return 503, error_body("media store unavailable, retry later")
        case RedisError():
            return 503, error_body("stream records unavailable, retry later")
        case RemuxFailed():
            return 500, error_body(f"cannot remux {path}")
