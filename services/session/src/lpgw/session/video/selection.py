"""Asking the selector for transcoders: the stream's required capabilities and the ceiling.

The session's `CandidateCache` keys answers by (pipeline, model); for transcoding the "model"
is the job's capability set written out (`caps_key`), so streams that need the same
capabilities share one answer per moment.
"""

import logging
from collections.abc import Sequence
from fractions import Fraction

from lpgw.bus import Bus
from lpgw.bus.errors import BusError
from lpgw.bus.events import TRANSCODING, Candidate, SelectionReply, SelectionRequest
from lpgw.session.candidates import Ask

logger = logging.getLogger("lpgw.session.video")

SELECT_TIMEOUT_S = 2.0


def caps_key(required: Sequence[int]) -> str:
    return ",".join(str(cap) for cap in sorted(required))


def required_from_key(key: str) -> list[int]:
    return [int(cap) for cap in key.split(",") if cap]


def transcoder_ask(bus: Bus, max_price: Fraction | None) -> Ask:
    ceiling = "" if not max_price else f"{max_price.numerator}/{max_price.denominator}"

    async def ask(pipeline: str, key: str, exclude: Sequence[str], limit: int) -> list[Candidate]:
        request = SelectionRequest(
            capability=0,
            pipeline=TRANSCODING,
            model_id="",
            required=required_from_key(key),
            max_price=ceiling,
            exclude=list(exclude),
            limit=limit,
        )
        try:
            reply = await bus.request(
                bus.names.select, request, SelectionReply, timeout=SELECT_TIMEOUT_S
            )
        except BusError as exc:
            logger.warning("transcoder_selection_failed", extra={"error": type(exc).__name__})
            return []
        return reply.candidates

    return ask
