"""GET /discover-orchestrators asks the selector over NATS and answers in the reference shape."""

from typing import Any

from lpgw.bus import Bus
from lpgw.bus.events import OrchestratorList, OrchestratorListRequest, OrchestratorSummary
from lpgw.eth import PrivateKey

ROUTE = "/discover-orchestrators"


async def test_the_selector_listing_in_the_reference_shape(
    make_replica: Any, key: PrivateKey, signer_bus: Bus
) -> None:
    asked: list[list[str]] = []

    async def selector(request: OrchestratorListRequest) -> OrchestratorList:
        asked.append(request.caps)
        return OrchestratorList(
            orchestrators=[
                OrchestratorSummary(
                    url="https://o1:8935", address="0x01", capabilities=["text-to-image/m"]
                ),
                OrchestratorSummary(url="https://o2:8935", address="0x02", capabilities=[]),
                OrchestratorSummary(
                    url="https://down:8935", address="0x03", capabilities=[], ok=False
                ),
            ]
        )

    await signer_bus.serve(
        signer_bus.names.orchestrator_list, "selector", OrchestratorListRequest, selector
    )
    signer = await make_replica(key)
    response = await signer.get(ROUTE, params=[("caps", "text-to-image/m"), ("caps", "llm/x")])
    assert response.status_code == 200
    assert response.json() == [
        {"address": "https://o1:8935", "score": 1, "capabilities": ["text-to-image/m"]},
        {"address": "https://o2:8935", "score": 1},
    ]
    assert asked == [["text-to-image/m", "llm/x"]]


async def test_no_responder_or_no_orchestrator_is_503_cache_empty(
    make_replica: Any, key: PrivateKey, signer_bus: Bus
) -> None:
    signer = await make_replica(key)
    response = await signer.get(ROUTE)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "cache empty"

    async def empty(request: OrchestratorListRequest) -> OrchestratorList:
        return OrchestratorList(orchestrators=[])

    await signer_bus.serve(
        signer_bus.names.orchestrator_list, "selector", OrchestratorListRequest, empty
    )
    response = await signer.get(ROUTE)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "cache empty"


async def test_discovery_needs_the_token(make_replica: Any, key: PrivateKey) -> None:
    signer = await make_replica(key)
    response = await signer.get(ROUTE, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
