"""What route handlers receive: the settings, the bus, the result inbox and the names, set up
by the lifespan.

All are `async def`: FastAPI runs plain functions in a worker thread, a thread hop per
dependency per request for what are attribute lookups.
"""

from typing import Annotated, cast

from fastapi import Depends, Request
from lpgw.bus.subjects import Names
from lpgw.intake.settings import IntakeSettings
from lpgw.intake.submission import Inbox, JobBus


async def _settings(request: Request) -> IntakeSettings:
    return cast(IntakeSettings, request.app.state.settings)


async def _bus(request: Request) -> JobBus:
    return cast(JobBus, request.app.state.bus)


async def _inbox(request: Request) -> Inbox:
    return cast(Inbox, request.app.state.inbox)


async def _names(request: Request) -> Names:
    return Names(cast(IntakeSettings, request.app.state.settings).bus_prefix)


SettingsDep = Annotated[IntakeSettings, Depends(_settings)]
BusDep = Annotated[JobBus, Depends(_bus)]
InboxDep = Annotated[Inbox, Depends(_inbox)]
NamesDep = Annotated[Names, Depends(_names)]
