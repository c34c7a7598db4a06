"""Building the job that intake hands to the session: ids, resolved model, deadline."""

import uuid

from lpgw.bus.events import AiJob
from lpgw.intake.pipelines import TEXT_TO_IMAGE
from lpgw.intake.schemas import TextToImageParams


def new_job_id() -> str:
    """16 hex characters: short enough for urls and logs, random enough never to collide."""
    return uuid.uuid4().hex[:16]


def text_to_image_job(
    job_id: str, params: TextToImageParams, model_id: str, now: float, timeout_s: float
) -> AiJob:
    """The session gives up at `deadline`, when intake has stopped waiting anyway."""
    return AiJob(
        job_id=job_id,
        pipeline=TEXT_TO_IMAGE,
        model_id=model_id,
        request=params.forwarded(model_id),
        submitted_at=now,
        deadline=now + timeout_s,
    )
