"""Building the job intake hands to the session: ids, stored inputs, the forwarded request,
the units the orchestrator will charge, the deadline."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from lpgw.bus.events import AiJob, BlobRef, ByocSpec
from lpgw.pipelines import InputFacts, Pipeline
from pydantic import BaseModel


@dataclass(frozen=True)
class Upload:
    """One received file part (or a BYOC body)."""

    data: bytes
    content_type: str
    filename: str


class StoredInput(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...


class InputStore(Protocol):
    """Where uploaded files wait for the session, and large results wait for intake
    (lpgw.blobs.BlobStore has this shape)."""

    async def put(self, key: str, data: bytes, content_type: str) -> StoredInput: ...

    async def get(self, key: str) -> tuple[bytes, str]: ...


def new_job_id() -> str:
    """16 hex characters, 64 random bits: short enough for urls and logs, random enough never
    to collide or be guessed (result media are served by id)."""
    return secrets.token_hex(8)


def input_key(job_id: str, part: str) -> str:
    """Inputs live beside results but under a name delivery never serves (it has a dot, which
    delivery's request ids cannot), so an upload is not published by its job id."""
    return f"in.{job_id}/{part}"


async def store_inputs(
    store: InputStore, job_id: str, files: Mapping[str, Upload]
) -> dict[str, BlobRef]:
    stored: dict[str, BlobRef] = {}
    for part, upload in files.items():
        blob = await store.put(
            input_key(job_id, part), upload.data, upload.content_type or "application/octet-stream"
        )
        stored[part] = BlobRef(
            key=blob.key, content_type=blob.content_type, size=blob.size, sha256=blob.sha256
        )
    return stored


def forwarded_request(
    pipeline: Pipeline[Any], params: BaseModel, model: str, facts: InputFacts
) -> dict[str, Any]:
    """What the orchestrator receives: JSON fields, or multipart text fields (files apart)."""
    if pipeline.body == "json":
        return pipeline.forwarded_fields(params, model)
    return dict(pipeline.forwarded_form(params, model, facts))


def pipeline_job(
    *,
    job_id: str,
    inbox: str,
    pipeline: Pipeline[Any],
    model: str,
    request: dict[str, Any],
    inputs: dict[str, BlobRef],
    units: int,
    account: str,
    stream: bool,
    now: float,
    timeout_s: float,
) -> AiJob:
    """The session gives up at `deadline`, when intake has stopped waiting anyway."""
    return AiJob(
        job_id=job_id,
        inbox=inbox,
        pipeline=pipeline.name,
        model_id=model,
        request=request,
        inputs=inputs,
        units=units,
        account=account,
        stream=stream,
        submitted_at=now,
        deadline=now + timeout_s,
    )


def byoc_job(
    *,
    job_id: str,
    inbox: str,
    spec: ByocSpec,
    inputs: dict[str, BlobRef],
    account: str,
    now: float,
    timeout_s: float,
) -> AiJob:
    return AiJob(
        job_id=job_id,
        inbox=inbox,
        pipeline=BYOC_PIPELINE,
        model_id=spec.capability,
        request={},
        inputs=inputs,
        account=account,
        stream=True,
        byoc=spec,
        submitted_at=now,
        deadline=now + timeout_s,
    )


BYOC_PIPELINE = "byoc"
"""The job subject and outcome label of BYOC jobs (the capability is their `model_id`)."""
