"""`GET /discover-orchestrators`: the selector's view of the network, in the reference's shape.

The signer keeps no orchestrator cache of its own: it asks the selector over NATS
(names.orchestrator_list) and answers 503 `cache empty` when nobody answers or nobody is known.
"""

from collections.abc import Sequence
from typing import Any, Protocol

from lpgw.bus import Bus, BusError
from lpgw.bus.events import OrchestratorList, OrchestratorListRequest
from lpgw.signer.errors import InvalidRequest, Unavailable
from lpgw.signer.keys.segments import checked_name

REQUEST_TIMEOUT_S = 2.0
MAX_CAPS = 32


class OrchestratorDirectory(Protocol):
    async def orchestrators(self, caps: Sequence[str]) -> OrchestratorList:
        """Known orchestrators offering any of `caps` (all when empty); raise Unavailable."""
        ...


class BusDirectory:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def orchestrators(self, caps: Sequence[str]) -> OrchestratorList:
        try:
            return await self._bus.request(
                self._bus.names.orchestrator_list,
                OrchestratorListRequest(caps=list(caps)),
                OrchestratorList,
                timeout=REQUEST_TIMEOUT_S,
            )
        except BusError:
            raise Unavailable("cache empty") from None


def checked_caps(caps: Sequence[str]) -> list[str]:
    """`<pipeline>/<model>` filters, each a bounded printable string."""
    if len(caps) > MAX_CAPS:
        raise InvalidRequest(f"at most {MAX_CAPS} caps")
    return [checked_name(cap, "caps") for cap in caps]


def reference_entries(listing: OrchestratorList) -> list[dict[str, Any]]:
    """The reference JSON array; an empty one is `cache empty` (503)."""
    entries: list[dict[str, Any]] = []
    for orchestrator in listing.orchestrators:
        if not orchestrator.ok:
            continue
        entry: dict[str, Any] = {"address": orchestrator.url, "score": 1}
        if orchestrator.capabilities:
            entry["capabilities"] = list(orchestrator.capabilities)
        entries.append(entry)
    if not entries:
        raise Unavailable("cache empty")
    return entries
