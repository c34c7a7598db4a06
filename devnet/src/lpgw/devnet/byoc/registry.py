"""Registered BYOC capabilities: where each worker is, its price per second and its job slots.

A worker container registers with `POST /capability/register` and a JSON body in the
reference's field names (`name`, `url`, `capacity`, `price_per_unit`, `price_scaling`,
`currency`, `description`) plus `token`, a bearer token the devnet then sends to the worker.
Registering a name again replaces its settings and keeps the jobs it is running.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from urllib.parse import urlsplit

from lpgw.devnet.byoc.errors import NoCapacity, RegistrationRefused
from lpgw.wire.capabilities import Capability
from lpgw.wire.net import lp_rpc_pb2 as pb


@dataclass(frozen=True)
class Registration:
    name: str
    url: str
    capacity: int
    price: Fraction
    """Wei per second: price_per_unit / price_scaling."""
    token: str | None = field(default=None, repr=False)
    description: str = ""

    def to_json(self) -> dict[str, object]:
        """The registration body for this capability."""
        body: dict[str, object] = {
            "name": self.name,
            "description": self.description,
            "url": self.url,
            "capacity": self.capacity,
            "price_per_unit": self.price.numerator,
            "price_scaling": self.price.denominator,
            "currency": "WEI",
        }
        if self.token is not None:
            body["token"] = self.token
        return body

    @classmethod
    def from_json(cls, body: bytes) -> "Registration":
        """The body of `POST /capability/register`; RegistrationRefused."""
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RegistrationRefused(f"invalid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise RegistrationRefused("expected a JSON object")
        name = _text(value, "name")
        url = _text(value, "url")
        if not name:
            raise RegistrationRefused("name is required")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise RegistrationRefused(f"url must be http:// or https://, got {url!r}")
        if _text(value, "currency").lower() not in ("", "wei"):
            raise RegistrationRefused("the devnet prices in WEI only")
        capacity = _count(value, "capacity")
        scaling = _count(value, "price_scaling") or 1
        token = value.get("token")
        if token is not None and not isinstance(token, str):
            raise RegistrationRefused("token must be a string")
        return cls(
            name=name,
            url=url.rstrip("/"),
            capacity=capacity,
            price=Fraction(_count(value, "price_per_unit"), scaling),
            token=token or None,
            description=_text(value, "description"),
        )


def _text(value: Mapping[str, Any], key: str) -> str:
    item = value.get(key)
    if item is None:
        return ""
    if not isinstance(item, str):
        raise RegistrationRefused(f"{key} must be a string")
    return item


def _count(value: Mapping[str, Any], key: str) -> int:
    item = value.get(key)
    if item is None:
        return 0
    if isinstance(item, bool) or not isinstance(item, int) or item < 0:
        raise RegistrationRefused(f"{key} must be a non-negative integer")
    return item


class _Entry:
    def __init__(self, registration: Registration) -> None:
        self.registration = registration
        self.load = 0


class Slot:
    """One job's hold on a capability; `release` is idempotent."""

    def __init__(self, entry: _Entry) -> None:
        self._entry = entry
        self._held = True
        self.registration = entry.registration

    def release(self) -> None:
        if self._held:
            self._held = False
            self._entry.load -= 1


class CapabilityRegistry:
    """Single-threaded (one event loop); every method is atomic."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def register(self, registration: Registration) -> None:
        entry = self._entries.get(registration.name)
        if entry is None:
            self._entries[registration.name] = _Entry(registration)
        else:
            entry.registration = registration

    def unregister(self, name: str) -> None:
        """Unknown names are fine, as in the reference; running jobs keep their slots."""
        self._entries.pop(name, None)

    def get(self, name: str) -> Registration | None:
        entry = self._entries.get(name)
        return None if entry is None else entry.registration

    def free(self, name: str) -> int:
        entry = self._entries.get(name)
        return 0 if entry is None else max(entry.registration.capacity - entry.load, 0)

    def reserve(self, name: str) -> Slot:
        """A slot of `name`; NoCapacity when all are taken or it is not registered."""
        entry = self._entries.get(name)
        if entry is None or entry.load >= entry.registration.capacity:
            raise NoCapacity()
        entry.load += 1
        return Slot(entry)

    def listed_prices(self) -> list[pb.PriceInfo]:
        """`capabilities_prices` entries: capability 37, the name as constraint, whole wei."""
        return [
            pb.PriceInfo(
                pricePerUnit=int(entry.registration.price),
                pixelsPerUnit=1,
                capability=int(Capability.BYOC),
                constraint=name,
            )
            for name, entry in sorted(self._entries.items())
        ]
