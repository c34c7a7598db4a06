"""Events to bytes and back, with the headers that travel beside them."""

from collections.abc import Mapping
from typing import TypeVar

from lpgw.bus.errors import InvalidMessage
from lpgw.bus.events import Event
from lpgw.bus.tracing import inject
from pydantic import ValidationError

E = TypeVar("E", bound=Event)

JOB_ID_HEADER = "Lpgw-Job-Id"
SCHEMA_HEADER = "Lpgw-Schema"
MSG_ID_HEADER = "Nats-Msg-Id"
ERROR_HEADER = "Lpgw-Error"


def encode(event: Event, msg_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The payload and headers of `event`: trace context, schema version, job id, dedup id."""
    headers = inject({SCHEMA_HEADER: str(event.schema_version)})
    job_id = getattr(event, "job_id", None)
    if isinstance(job_id, str):
        headers[JOB_ID_HEADER] = job_id
    if msg_id is not None:
        headers[MSG_ID_HEADER] = msg_id
    return event.model_dump_json().encode(), headers


def decode(model: type[E], data: bytes, headers: Mapping[str, str] | None = None) -> E:
    """Parse `data` as `model`; raise InvalidMessage for bad payloads or unknown schemas."""
    known = model.model_fields["schema_version"].default
    declared = (headers or {}).get(SCHEMA_HEADER)
    if declared is not None and declared != str(known):
        raise InvalidMessage(f"unknown schema version {declared!r} for {model.__name__}")
    try:
        event = model.model_validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['type']}"
            for error in exc.errors()[:5]
        )
        raise InvalidMessage(f"invalid {model.__name__}: {problems}") from exc
    if event.schema_version != known:
        raise InvalidMessage(f"unknown schema version {event.schema_version} for {model.__name__}")
    return event
