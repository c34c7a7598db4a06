"""One batch AI request in the reference's order of checks (wire.md §7.4), for any declared
pipeline.

0 body → 400, 1 payment → 402, 2 segment credentials → 403, 3 job size and units → 400,
4 bucket (sender, "<capId>_<model>"), 5 capacity for (pipeline, model) → 503, 6 process the
payment → 400, 7 balance below one ticket EV at a non-zero price → 400 `Insufficient balance`,
8 run (added latency; injected failure → 500), 9 debit units × price, 10 → 200. Steps 4, 6, 7
and 9 happen only when payments are on; off, the payment is decoded and ignored.

A streamed answer (/llm with `stream: true`) keeps its slot until its last frame; its units
(`max_tokens`) are known up front, so it is debited once admitted, before the first token.
The model is the one the request names (`model_id`, `model` for /llm), never a default: an
orchestrator serves what it is asked for.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from lpgw.devnet.credentials import check_credentials
from lpgw.devnet.errors import InjectedFailure, InvalidParameters
from lpgw.devnet.jobs.answers import EventStreamOutput, MediaHost, answer_json
from lpgw.devnet.jobs.decoding import decode
from lpgw.devnet.jobs.planning import PLANNERS, Limits
from lpgw.devnet.node import Node
from lpgw.pipelines import Pipeline, PipelineError
from lpgw.pm.balances import ai_bucket
from lpgw.wire.headers import AI_WORKER_AUTHORIZATION, decode_payment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestHeaders:
    segment: str
    payment: str
    authorization: str
    content_type: str = ""


@dataclass(frozen=True)
class JsonAnswer:
    body: object


@dataclass(frozen=True)
class StreamAnswer:
    frames: AsyncIterator[bytes]


Answer = JsonAnswer | StreamAnswer


class AIJobs:
    def __init__(self, node: Node) -> None:
        self._node = node

    async def handle(self, pipeline: Pipeline[Any], body: bytes, headers: RequestHeaders) -> Answer:
        """The answer to one request; raises DevnetError, lpgw.wire's or lpgw.pm's errors."""
        node = self._node
        decoded = await decode(pipeline, body, headers.content_type)
        payment = decode_payment(headers.payment)
        check_credentials(node, headers.segment, payment)
        planned = await asyncio.to_thread(
            PLANNERS[pipeline.name],
            decoded.request,
            decoded.files,
            Limits(max_image_side=node.max_image_side),
        )
        try:
            units = pipeline.units(planned.request, planned.facts)
        except PipelineError as exc:
            raise InvalidParameters(str(exc)) from exc
        model = str(getattr(planned.request, pipeline.model_field))
        capability = int(pipeline.capability)
        bucket = ai_bucket(capability, model)
        payments = node.payments
        with ExitStack() as slot:
            slot.enter_context(node.slots.reserve(capability, model))
            charge = None
            if payments is not None:
                quote = node.prices.model_price(capability, model)
                charge = await payments.receive(payment, bucket, quote)
            await node.faults.delay()
            if node.faults.strikes():
                raise InjectedFailure()
            output = await asyncio.to_thread(planned.produce)
            if payments is not None and charge is not None:
                await payments.debit(charge, units)
            log.info(
                "ai_job_done",
                extra={"pipeline": pipeline.name, "model": model, "units": units},
            )
            if isinstance(output, EventStreamOutput):
                return StreamAnswer(self._paced(output.frames, slot.pop_all()))
            host = MediaHost(
                node.media, node.service_uri, headers.authorization == AI_WORKER_AUTHORIZATION
            )
            return JsonAnswer(answer_json(output, host))

    async def _paced(self, frames: Iterator[bytes], slot: ExitStack) -> AsyncIterator[bytes]:
        """Frames as produced, `--llm-token-delay-ms` apart; the slot is freed at the end or
        when the client goes away."""
        with slot:
            first = True
            for frame in frames:
                if not first:
                    await asyncio.sleep(self._node.llm_token_delay_s)
                first = False
                yield frame
