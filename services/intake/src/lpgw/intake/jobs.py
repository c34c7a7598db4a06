"""Building the job that intake hands to the session: ids, resolved model, deadline."""

import secrets

from lpgw.bus.events import AiJob
from lpgw.intake.pipelines import TEXT_TO_IMAGE
from lpgw.intake.schemas import TextToImageParams


def new_job_id() -> str:
    """16 hex characters, 64 random bits: short enough for urls and logs, random enough never
    to collide or be guessed (result media are served by id)."""
    return secrets.token_hex(8)


def text_to_image_job(
    job_id: str,
    inbox: str,
    params: TextToImageParams,
    model_id: str,
    now: float,
    timeout_s: float,
) -> AiJob:
    """The session gives up at `deadline`, when intake has stopped waiting anyway."""
    return AiJob(
        job_id=job_id,
        inbox=inbox,
        pipeline=TEXT_TO_IMAGE,
        model_id=model_id,
        request=params.forwarded(model_id),
        submitted_at=now,
        deadline=now + timeout_s,
    )
