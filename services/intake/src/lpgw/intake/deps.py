"""What route handlers receive: the settings, the bus and the names, set up by the lifespan."""

from typing import Annotated, cast

from fastapi import Depends, Request
from lpgw.bus.subjects import Names
from lpgw.intake.settings import IntakeSettings
from lpgw.intake.submission import JobBus


def _settings(request: Request) -> IntakeSettings:
    return cast(IntakeSettings, request.app.state.settings)


def _bus(request: Request) -> JobBus:
    return cast(JobBus, request.app.state.bus)


def _names(request: Request) -> Names:
    return Names(_settings(request).bus_prefix)


SettingsDep = Annotated[IntakeSettings, Depends(_settings)]
BusDep = Annotated[JobBus, Depends(_bus)]
NamesDep = Annotated[Names, Depends(_names)]
