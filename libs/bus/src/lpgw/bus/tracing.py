"""W3C trace context in NATS headers, so one trace follows a job across services."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context, propagate
from opentelemetry.propagators.textmap import Getter, Setter


class _HeaderSetter(Setter[dict[str, str]]):
    def set(self, carrier: dict[str, str], key: str, value: str) -> None:
        carrier[key] = value


class _HeaderGetter(Getter[Mapping[str, str]]):
    def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
        value = carrier.get(key)
        return None if value is None else [value]

    def keys(self, carrier: Mapping[str, str]) -> list[str]:
        return list(carrier)


_SETTER = _HeaderSetter()
_GETTER = _HeaderGetter()


def inject(headers: dict[str, str]) -> dict[str, str]:
    """Add `traceparent`/`tracestate` for the current context to `headers` (and return it)."""
    propagate.inject(headers, setter=_SETTER)
    return headers


def extract(headers: Mapping[str, str] | None) -> context.Context:
    """The trace context a message's headers carry (empty when they carry none)."""
    return propagate.extract(headers or {}, getter=_GETTER)


@contextmanager
def attached(headers: Mapping[str, str] | None) -> Iterator[None]:
    """Run the block inside the trace context carried by `headers`."""
    token = context.attach(extract(headers))
    try:
        yield
    finally:
        context.detach(token)
