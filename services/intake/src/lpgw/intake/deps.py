"""What route handlers receive: everything the lifespan set up, as one dependency.

One `async def` dependency rather than one per object: FastAPI resolves dependencies on every
request (and would run plain functions in a worker thread), which on this hot path costs more
than the lookups themselves.
"""

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from lpgw.bus.chunks import ChunkInbox
from lpgw.bus.subjects import Names
from lpgw.intake.access import Gate
from lpgw.intake.ai.jobs import InputStore
from lpgw.intake.settings import IntakeSettings
from lpgw.intake.submission import Inbox, JobBus
from lpgw.intake.video.assembly import VideoIntake
from lpgw.state import Keys
from redis.asyncio import Redis


@dataclass(frozen=True)
class Intake:
    settings: IntakeSettings
    bus: JobBus
    inbox: Inbox
    chunks: ChunkInbox
    names: Names
    media: InputStore
    redis: Redis
    keys: Keys
    gate: Gate


async def _intake(request: Request) -> Intake:
    return cast(Intake, request.app.state.intake)


IntakeDep = Annotated[Intake, Depends(_intake)]


async def _video(request: Request) -> VideoIntake:
    return cast(VideoIntake, request.app.state.video)


VideoDep = Annotated[VideoIntake, Depends(_video)]
