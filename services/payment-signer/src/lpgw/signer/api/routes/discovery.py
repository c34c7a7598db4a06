"""GET /discover-orchestrators[?caps=pipeline/model]: the reference discovery call."""

from lpgw.signer.api.requests import client_of, required, services
from lpgw.signer.discovery import checked_caps, reference_entries
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def discover_orchestrators(request: Request) -> JSONResponse:
    client_of(request)
    directory = required(services(request).directory, "directory")
    wanted = checked_caps(request.query_params.getlist("caps"))
    return JSONResponse(reference_entries(await directory.orchestrators(wanted)))


routes = [Route("/discover-orchestrators", discover_orchestrators, methods=["GET"])]
