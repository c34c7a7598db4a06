"""Error answers of delivery, in the envelope both kinds of client parse (ai-api.md §1.1)."""

from typing import Any

from lpgw.blobs import BlobError, BlobNotFound
from lpgw.delivery.media_keys import InvalidMediaPath
from lpgw.service.envelope import error_body


def error_reply(exc: InvalidMediaPath | BlobError) -> tuple[int, dict[str, Any]]:
    """Status and body for each reason a file cannot be served."""
    match exc:
        case InvalidMediaPath():
            return 400, error_body(str(exc))
        case BlobNotFound():
            return 404, error_body(f"not found: /stream/{exc}")
        case _:
            return 503, error_body("media store unavailable, retry later")
