"""A job's uploaded inputs, read back from the blob store and made into the body the
orchestrator receives (JSON, or a multipart form with the files under their part names)."""

from typing import Protocol

from lpgw.blobs import BlobError
from lpgw.bus.events import AiJob
from lpgw.pipelines import PIPELINES
from lpgw.session.ai_worker import InputFile, Outgoing


class InputLost(Exception):
    """An input is no longer stored (expired or the store was wiped): the job cannot run."""


class InputReader(Protocol):
    """lpgw.blobs.BlobStore has this shape."""

    async def get(self, key: str) -> tuple[bytes, str]: ...


async def read_inputs(job: AiJob, store: InputReader) -> dict[str, InputFile]:
    files: dict[str, InputFile] = {}
    for part, ref in job.inputs.items():
        try:
            data, content_type = await store.get(ref.key)
        except BlobError as exc:
            raise InputLost(f"the request's {part} is no longer stored") from exc
        files[part] = InputFile(data, content_type, filename=part)
    return files


async def outgoing_body(job: AiJob, store: InputReader) -> Outgoing:
    pipeline = PIPELINES[job.pipeline]
    if pipeline.body == "json":
        return Outgoing(fields=dict(job.request))
    return Outgoing(fields=dict(job.request), multipart=True, files=await read_inputs(job, store))
