"""Responses too large for a bus message go to the blob store, the result carries their key.

A NATS message holds a few MiB (`max_payload`); some answers are larger (segment-anything-2's
masks as text run to megabytes), and a result that cannot be published is a job redelivered,
redone and paid again, forever. Past `SPILL_BYTES` the response is stored as a JSON blob under
a name delivery never serves, and intake reads it back. Below it, one message is cheaper.
"""

import json

from lpgw.bus.events import BlobRef, JobResult
from lpgw.session.media import MediaStore

SPILL_BYTES = 256 * 1024
"""Well under max_payload, and where storing apart starts to cost NATS less than inlining."""
JSON = "application/json"


def spill_key(job_id: str) -> str:
    """Beside the job's media, but with a dot delivery's request ids cannot hold."""
    return f"res.{job_id}/response.json"


async def spilled(result: JobResult, store: MediaStore) -> JobResult:
    if result.response is None:
        return result
    encoded = json.dumps(result.response, separators=(",", ":")).encode()
    if len(encoded) <= SPILL_BYTES:
        return result
    blob = await store.put(spill_key(result.job_id), encoded, JSON)
    ref = BlobRef(key=blob.key, content_type=blob.content_type, size=blob.size, sha256=blob.sha256)
    return result.model_copy(update={"response": None, "response_blob": ref})
