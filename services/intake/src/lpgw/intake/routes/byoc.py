"""`POST /process/request/{route}` (ai-api.md §5.1): a BYOC job, answered with the
container's response as it comes (streamed when the container streams).

The job goes to the session like any AI job (its body as the job's `body` input); the session
finds orchestrators offering the capability, signs and pays the job, forwards it and streams
the answer back. When every orchestrator fails, the client gets the error with the reasons
(the reference answers an empty 200).
"""

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from lpgw.intake import metrics
from lpgw.intake.access import AccessError, reply_for_access_error
from lpgw.intake.ai.jobs import BYOC_PIPELINE, Upload, byoc_job, new_job_id, store_inputs
from lpgw.intake.ai.relay import answer_streamed
from lpgw.intake.ai.routes import REQUEST_ID_HEADER
from lpgw.intake.body import read_body
from lpgw.intake.byoc.request import (
    LIVEPEER_HEADER,
    SEARCH_RESPONSE_TIMEOUT_HEADER,
    SEARCH_TIMEOUT_HEADER,
    JobHeaders,
    parse_job,
)
from lpgw.intake.deps import Intake, IntakeDep
from lpgw.intake.errors import IntakeError
from lpgw.intake.openapi import error_responses
from lpgw.intake.replies import reply_for_error
from lpgw.intake.responses import json_reply
from lpgw.service.logs import bind_log_context, get_logger

BODY_PART = "body"
STOP_AFTER_S = 10.0
"""Past `timeout_seconds`, how long the answer may still take (the reference's margin)."""
log = get_logger(__name__)
router = APIRouter()


@router.post(
    "/process/request/{route:path}",
    summary="Run a job on a bring-your-own-container capability",
    responses=error_responses(),
    openapi_extra={
        "parameters": [
            {
                "name": LIVEPEER_HEADER,
                "in": "header",
                "required": True,
                "description": "Standard base64 of JSON {request, parameters, capability, "
                "timeout_seconds}.",
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": False,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def process_request(route: str, request: Request, intake: IntakeDep) -> Response:
    job_id = new_job_id()
    with bind_log_context(job_id=job_id), metrics.observe(BYOC_PIPELINE) as observed:
        response = await _answer(route, request, intake, job_id)
        observed.status = response.status_code
        log.info("request_answered", extra={"pipeline": BYOC_PIPELINE, "status": observed.status})
    response.headers[REQUEST_ID_HEADER] = job_id
    return response


async def _answer(route: str, request: Request, intake: Intake, job_id: str) -> Response:
    try:
        caller = await intake.gate.admit(request.headers, str(request.url))
        content_type = request.headers.get("content-type", "")
        spec = parse_job(
            route,
            JobHeaders(
                livepeer=request.headers.get(LIVEPEER_HEADER),
                search_timeout=request.headers.get(SEARCH_TIMEOUT_HEADER),
                search_response_timeout=request.headers.get(SEARCH_RESPONSE_TIMEOUT_HEADER),
            ),
            content_type,
        )
        body = await read_body(request, intake.settings.intake_byoc_max_body_bytes)
        files = {BODY_PART: Upload(body, content_type, BODY_PART)} if body else {}
        timeout_s = spec.timeout_seconds + STOP_AFTER_S
        job = byoc_job(
            job_id=job_id,
            inbox=intake.inbox.id,
            spec=spec,
            inputs=await store_inputs(intake.media, job_id, files),
            account=caller.account,
            now=time.time(),
            timeout_s=timeout_s,
        )
        return await answer_streamed(
            intake.bus,
            intake.names,
            intake.inbox,
            intake.chunks,
            job,
            timeout_s,
            intake.settings.intake_media_base_url,
            request,
        )
    except AccessError as exc:
        return json_reply(reply_for_access_error(exc))
    except IntakeError as exc:
        return json_reply(reply_for_error(exc, job_id))
