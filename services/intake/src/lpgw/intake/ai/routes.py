"""One route per declared pipeline (ai-api.md §3), and image-to-video's result route.

Every request goes the same way: the key at the door, the body read within the pipeline's
limit and decoded, the inputs measured (billing needs the image size or the audio duration),
the inputs stored, the job published; then the answer as JSON, as server-sent events (`/llm`
with `stream: true`), or as a 202 to poll (`Prefer: respond-async` where the pipeline has an
asynchronous mode).
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from lpgw.intake import metrics
from lpgw.intake.access import AccessError, reply_for_access_error
from lpgw.intake.ai.async_jobs import ASYNC_INBOX, forget, poll, remember
from lpgw.intake.ai.decoding import decode_body
from lpgw.intake.ai.facts import measure
from lpgw.intake.ai.jobs import forwarded_request, new_job_id, pipeline_job, store_inputs
from lpgw.intake.ai.large_results import unspilled
from lpgw.intake.ai.relay import answer_streamed
from lpgw.intake.body import read_body
from lpgw.intake.deps import Intake, IntakeDep
from lpgw.intake.errors import IntakeError, InvalidRequest, QueueUnavailable, UnreadableInput
from lpgw.intake.openapi import error_responses, request_body
from lpgw.intake.replies import Reply, reply_for_error, reply_for_result
from lpgw.intake.responses import json_reply
from lpgw.intake.submission import publish_job, submit
from lpgw.intake.validation import field_errors, parse_params
from lpgw.pipelines import DECLARED, AsyncResultRequest, Pipeline
from lpgw.pipelines.errors import InputFactsMissing, InputRejected
from lpgw.service.logs import bind_log_context, get_logger
from pydantic import ValidationError

REQUEST_ID_HEADER = "X-Request-Id"
log = get_logger(__name__)

Endpoint = Callable[[Request, Intake], Awaitable[Response]]


def router() -> APIRouter:
    routes = APIRouter()
    for pipeline in DECLARED:
        routes.add_api_route(
            pipeline.path,
            _endpoint(pipeline),
            methods=["POST"],
            summary=pipeline.summary,
            name=pipeline.name,
            response_model=pipeline.response,
            responses=error_responses(),
            openapi_extra=request_body(pipeline),
        )
        if pipeline.async_result is not None:
            for method in pipeline.async_result.methods:
                routes.add_api_route(
                    pipeline.async_result.path,
                    _result_endpoint(),
                    methods=[method],
                    summary=f"The result of an asynchronous {pipeline.path} request",
                    operation_id=f"{pipeline.name}-result-{method.lower()}",
                    response_model=pipeline.async_result.status,
                    response_model_exclude_none=True,
                    responses={202: {"model": pipeline.async_result.status}, **error_responses()},
                    openapi_extra=_poll_openapi(method),
                )
    return routes


def _endpoint(pipeline: Pipeline[Any]) -> Endpoint:
    async def endpoint(request: Request, intake: IntakeDep) -> Response:
        job_id = new_job_id()
        with bind_log_context(job_id=job_id), metrics.observe(pipeline.name) as observed:
            response = await _answer(pipeline, request, intake, job_id)
            observed.status = response.status_code
            # One record per request: every log line costs CPU on the hot path.
            log.info(
                "request_answered",
                extra={"pipeline": pipeline.name, "status": response.status_code},
            )
        response.headers[REQUEST_ID_HEADER] = job_id
        return response

    endpoint.__name__ = pipeline.name.replace("-", "_")
    return endpoint


async def _answer(
    pipeline: Pipeline[Any], request: Request, intake: Intake, job_id: str
) -> Response:
    settings = intake.settings
    try:
        caller = await intake.gate.admit(request.headers, str(request.url))
        body = await read_body(request, pipeline.max_request_bytes)
        decoded = await decode_body(pipeline, request.headers.get("content-type", ""), body)
        facts = await measure(decoded.files)
        try:
            units = pipeline.units(decoded.params, facts)
        except (InputRejected, InputFactsMissing) as exc:
            raise UnreadableInput(str(exc)) from None
        model = pipeline.resolve_model(decoded.params, settings.intake_default_models)
        wants_async = _wants_async(pipeline, request)
        stream = pipeline.wants_stream(decoded.params)
        job = pipeline_job(
            job_id=job_id,
            inbox=ASYNC_INBOX if wants_async else intake.inbox.id,
            pipeline=pipeline,
            model=model,
            request=forwarded_request(pipeline, decoded.params, model, facts),
            inputs=await store_inputs(intake.media, job_id, decoded.files),
            units=units,
            account=caller.account,
            stream=stream,
            now=time.time(),
            timeout_s=settings.intake_request_timeout_s,
        )
        if wants_async:
            await remember(intake.redis, intake.keys, job_id)
            try:
                await publish_job(intake.bus, intake.names, job)
            except QueueUnavailable:
                await forget(intake.redis, intake.keys, job_id)
                raise
            return json_reply(Reply(202, {"request_id": job_id}))
        if stream:
            return await answer_streamed(
                intake.bus,
                intake.names,
                intake.inbox,
                intake.chunks,
                job,
                settings.intake_request_timeout_s,
                settings.intake_media_base_url,
                request,
            )
        result = await submit(
            intake.bus, intake.inbox, intake.names, job, settings.intake_request_timeout_s
        )
        result = await unspilled(result, intake.media)
        if result.error is not None:
            log.warning("job_failed", extra={"model_id": model, "error": result.error})
        return json_reply(reply_for_result(result, settings.intake_media_base_url))
    except AccessError as exc:
        return json_reply(reply_for_access_error(exc))
    except IntakeError as exc:
        return json_reply(reply_for_error(exc, job_id))


def _wants_async(pipeline: Pipeline[Any], request: Request) -> bool:
    if pipeline.async_result is None:
        return False
    prefer = request.headers.get("prefer", "")
    return pipeline.async_result.prefer in (p.strip().lower() for p in prefer.split(","))


def _result_endpoint() -> Endpoint:
    async def result(request: Request, intake: IntakeDep) -> Response:
        try:
            await intake.gate.admit(request.headers, str(request.url))
            job_id = await _polled_id(request)
            reply = await poll(
                intake.redis,
                intake.keys,
                intake.bus,
                intake.names,
                intake.media,
                job_id,
                intake.settings.intake_media_base_url,
            )
        except AccessError as exc:
            reply = reply_for_access_error(exc)
        except IntakeError as exc:
            reply = reply_for_error(exc, "")
        return json_reply(reply)

    return result


async def _polled_id(request: Request) -> str:
    """`?request_id=` (GET), or a JSON body `{"request_id": …}` (POST, as the reference)."""
    if request.method != "GET":
        return parse_params(
            AsyncResultRequest, await read_body(request, POLL_BODY_BYTES)
        ).request_id
    try:
        return AsyncResultRequest.model_validate(dict(request.query_params)).request_id
    except ValidationError as exc:
        raise InvalidRequest(field_errors(exc, where="query")) from None


POLL_BODY_BYTES = 4096
"""`{"request_id": "…"}` with room to spare."""


def _poll_openapi(method: str) -> dict[str, Any]:
    """The poll's input as the OpenAPI document shows it: a query parameter or a JSON body."""
    schema = {"type": "string", "minLength": 1}
    if method == "GET":
        return {
            "parameters": [
                {"name": "request_id", "in": "query", "required": True, "schema": schema}
            ]
        }
    body = {"type": "object", "required": ["request_id"], "properties": {"request_id": schema}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}
