"""GET /discover-orchestrators[?caps=pipeline/model]: the reference discovery call."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from lpgw.signer.api.deps import Directory
from lpgw.signer.discovery import checked_caps, reference_entries

router = APIRouter()


@router.get("/discover-orchestrators")
async def discover_orchestrators(
    directory: Directory, caps: Annotated[list[str] | None, Query()] = None
) -> list[dict[str, Any]]:
    wanted = checked_caps(caps or [])
    return reference_entries(await directory.orchestrators(wanted))
