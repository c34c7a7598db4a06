"""A result whose response was too large for a bus message carries a blob key instead
(`JobResult.response_blob`, written by the session): read it back before answering."""

import json
from typing import Protocol

from lpgw.blobs import BlobError
from lpgw.bus.events import JobResult
from lpgw.intake.errors import ResultUnavailable


class ResultStore(Protocol):
    """lpgw.blobs.BlobStore has this shape."""

    async def get(self, key: str) -> tuple[bytes, str]: ...


async def unspilled(result: JobResult, store: ResultStore) -> JobResult:
    if result.response_blob is None:
        return result
    try:
        data, _ = await store.get(result.response_blob.key)
        response = json.loads(data)
    except (BlobError, ValueError) as exc:
        raise ResultUnavailable(f"the result could not be read: {type(exc).__name__}") from exc
    return result.model_copy(update={"response": response, "response_blob": None})
