"""One trace follows a job: the publisher's span is the parent of the handler's work."""

import asyncio
import time

from lpgw.bus import AiJob, Bus, Received, SelectionReply, SelectionRequest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

PUBLISHER_SPAN = SpanContext(
    trace_id=0x0AF7651916CD43DD8448EB211C80319C,
    span_id=0xB7AD6B7169203331,
    is_remote=False,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
)


def job() -> AiJob:
    now = time.time()
    return AiJob(
        inbox="intake1",
        job_id="traced",
        pipeline="text-to-image",
        model_id="m",
        request={},
        submitted_at=now,
        deadline=now + 60,
    )


async def test_handler_runs_in_the_publishers_trace(bus: Bus) -> None:
    names = bus.names
    seen: asyncio.Queue[tuple[SpanContext, str]] = asyncio.Queue()

    async def handle(event: AiJob, delivery: Received) -> None:
        current = trace.get_current_span().get_span_context()
        await seen.put((current, delivery.headers["traceparent"]))

    await bus.consume(
        stream=names.jobs_stream,
        durable="traced",
        filter_subject=names.ai_jobs,
        model=AiJob,
        handler=handle,
    )
    with trace.use_span(NonRecordingSpan(PUBLISHER_SPAN)):
        await bus.publish(names.ai_job("text-to-image"), job())

    parent, traceparent = await asyncio.wait_for(seen.get(), 5)
    assert parent.trace_id == PUBLISHER_SPAN.trace_id
    assert parent.span_id == PUBLISHER_SPAN.span_id
    assert parent.is_remote
    assert traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def test_responder_runs_in_the_requesters_trace(bus: Bus) -> None:
    seen: list[SpanContext] = []

    async def select(request: SelectionRequest) -> SelectionReply:
        seen.append(trace.get_current_span().get_span_context())
        return SelectionReply(candidates=[])

    await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, select)
    request = SelectionRequest(capability=27, pipeline="text-to-image", model_id="m")
    with trace.use_span(NonRecordingSpan(PUBLISHER_SPAN)):
        await bus.request(bus.names.select, request, SelectionReply)
    assert [(c.trace_id, c.span_id) for c in seen] == [
        (PUBLISHER_SPAN.trace_id, PUBLISHER_SPAN.span_id)
    ]


async def test_no_trace_means_no_traceparent(bus: Bus) -> None:
    names = bus.names
    headers: asyncio.Queue[dict[str, str]] = asyncio.Queue()

    async def handle(event: AiJob, delivery: Received) -> None:
        await headers.put(dict(delivery.headers))

    await bus.consume(
        stream=names.jobs_stream,
        durable="untraced",
        filter_subject=names.ai_jobs,
        model=AiJob,
        handler=handle,
    )
    await bus.publish(names.ai_job("text-to-image"), job())
    assert "traceparent" not in await asyncio.wait_for(headers.get(), 5)
