"""`POST /text-to-image` (ai-api.md §3.1): validate, submit the job, answer with its result."""

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from lpgw.intake import metrics
from lpgw.intake.body import read_body
from lpgw.intake.deps import IntakeDep
from lpgw.intake.errors import IntakeError
from lpgw.intake.jobs import new_job_id, text_to_image_job
from lpgw.intake.pipelines import TEXT_TO_IMAGE, resolve_model
from lpgw.intake.replies import reply_for_error, reply_for_result
from lpgw.intake.schemas import HTTPError, ImageResponse, TextToImageParams
from lpgw.intake.submission import submit
from lpgw.intake.validation import parse_params
from lpgw.service.logs import bind_log_context, get_logger

REQUEST_ID_HEADER = "X-Request-Id"
log = get_logger(__name__)
router = APIRouter()


@router.post(
    "/text-to-image",
    summary="Generate images from a text prompt",
    response_model=ImageResponse,
    responses={status: {"model": HTTPError} for status in (400, 413, 422, 500, 503, 504)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TextToImageParams.model_json_schema()}},
        }
    },
)
async def text_to_image(request: Request, intake: IntakeDep) -> JSONResponse:
    job_id = new_job_id()
    with bind_log_context(job_id=job_id), metrics.observe(TEXT_TO_IMAGE) as observed:
        try:
            settings = intake.settings
            body = await read_body(request, settings.intake_max_body_bytes)
            params = parse_params(TextToImageParams, body)
            model_id = resolve_model(TEXT_TO_IMAGE, params.model_id, settings.intake_default_models)
            timeout_s = settings.intake_request_timeout_s
            job = text_to_image_job(
                job_id, intake.inbox.id, params, model_id, time.time(), timeout_s
            )
            result = await submit(intake.bus, intake.inbox, intake.names, job, timeout_s)
            if result.error is not None:
                log.warning("job_failed", extra={"model_id": model_id, "error": result.error})
            reply = reply_for_result(result, settings.intake_media_base_url)
        except IntakeError as exc:
            reply = reply_for_error(exc, job_id)
        observed.status = reply.status
        # One record per request: every log line costs CPU on the hot path.
        log.info("request_answered", extra={"pipeline": TEXT_TO_IMAGE, "status": reply.status})
    return JSONResponse(
        reply.body, status_code=reply.status, headers={REQUEST_ID_HEADER: job_id, **reply.headers}
    )
