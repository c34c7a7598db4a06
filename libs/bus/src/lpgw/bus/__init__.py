"""NATS JetStream bus: subjects, streams, event schemas, publish/consume with trace context.

`Bus`, `Consumer` and `Received` are loaded on first use, so that importing the event schemas or
the error types (as pure modules do) does not import the NATS client.
"""

import importlib
from typing import TYPE_CHECKING, Any

from lpgw.bus.errors import BusError, BusTimeout, InvalidMessage, NoResponders, RemoteError
from lpgw.bus.events import (
    SCHEMA_VERSION,
    AiJob,
    BlobRef,
    ByocSpec,
    Candidate,
    Event,
    JobError,
    JobResult,
    Outcome,
    Outcomes,
    SelectionReply,
    SelectionRequest,
)
from lpgw.bus.subjects import Names

if TYPE_CHECKING:
    from lpgw.bus.client import Bus
    from lpgw.bus.connecting import connect_until_stopped
    from lpgw.bus.consumer import Consumer, Received
    from lpgw.bus.inbox import ResultInbox

_LAZY = {
    "Bus": "lpgw.bus.client",
    "Consumer": "lpgw.bus.consumer",
    "Received": "lpgw.bus.consumer",
    "connect_until_stopped": "lpgw.bus.connecting",
    "ResultInbox": "lpgw.bus.inbox",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lpgw.bus' has no attribute {name!r}")


__all__ = [
    "SCHEMA_VERSION",
    "AiJob",
    "BlobRef",
    "Bus",
    "BusError",
    "BusTimeout",
    "ByocSpec",
    "Candidate",
    "Consumer",
    "Event",
    "InvalidMessage",
    "JobError",
    "JobResult",
    "Names",
    "NoResponders",
    "Outcome",
    "Outcomes",
    "Received",
    "RemoteError",
    "ResultInbox",
    "SelectionReply",
    "SelectionRequest",
    "connect_until_stopped",
]
