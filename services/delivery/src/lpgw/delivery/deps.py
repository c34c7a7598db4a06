"""What route handlers receive: the settings and the media store, set up by the lifespan.

All are `async def`: FastAPI runs plain functions in a worker thread, a thread hop per
dependency per request for what are attribute lookups.
"""

from typing import Annotated, cast

from fastapi import Depends, Request
from lpgw.blobs import BlobStore
from lpgw.delivery.settings import DeliverySettings


async def _settings(request: Request) -> DeliverySettings:
    return cast(DeliverySettings, request.app.state.settings)


async def _store(request: Request) -> BlobStore:
    return cast(BlobStore, request.app.state.store)


SettingsDep = Annotated[DeliverySettings, Depends(_settings)]
StoreDep = Annotated[BlobStore, Depends(_store)]
