"""POST /v1/byoc/sign-job: the `sender` and `sig` of a BYOC JobRequest (wire.md §4.4).

The text is checked (keys/jobs.py) before anything else; the signature leaves only after its
audit event is stored, like the identity signature of /sign-orchestrator-info.
"""

import uuid
from typing import Annotated

from lpgw.signer.api.requests import client_of, json_body, services
from lpgw.signer.keys.jobs import MAX_JOB_BYTES, JobMessage
from lpgw.signer.metrics import SIGNATURES
from lpgw.signer.payments.audit import AuditContext, audit_event
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROUTE = "/v1/byoc/sign-job"

JobText = Annotated[str, Field(strict=True, max_length=MAX_JOB_BYTES)]


class SignJobBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: JobText = Field(description="the JobRequest's `request`: JSON object text")
    parameters: JobText = Field(description='its `parameters`: JSON object text ("{}": none)')


async def sign_job(request: Request) -> JSONResponse:
    client = client_of(request)
    body = await json_body(request, SignJobBody)
    job = JobMessage(body.request, body.parameters)
    found = services(request)
    await found.audit.record(audit_event(AuditContext(client, ROUTE), None, []), uuid.uuid4().hex)
    sig = found.signing.sign_job(job)
    SIGNATURES.labels(route=ROUTE).inc()
    return JSONResponse({"sender": found.signing.address, "sig": "0x" + sig.hex()})


routes = [Route(ROUTE, sign_job, methods=["POST"])]
