"""Concurrent job slots per (capability, model); a job holds a slot from admission to its
answer (for a streamed answer, until its last event)."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from lpgw.devnet.errors import InsufficientCapacity

SlotKey = tuple[int, str]
"""(capability id, model id): text-to-image and image-to-image may serve the same model."""


class ModelSlots:
    """A fixed number of slots per served (capability, model). Single-threaded (one loop)."""

    def __init__(self, served: Iterable[SlotKey], capacity: int) -> None:
        self._capacity = capacity
        self._in_use = dict.fromkeys(served, 0)

    def free(self) -> dict[SlotKey, int]:
        return {key: self._capacity - used for key, used in self._in_use.items()}

    @contextmanager
    def reserve(self, capability: int, model: str) -> Iterator[None]:
        """Hold one slot for (capability, model); an unserved pair has no slots at all."""
        key = (capability, model)
        used = self._in_use.get(key)
        if used is None or used >= self._capacity:
            raise InsufficientCapacity()
        self._in_use[key] = used + 1
        try:
            yield
        finally:
            self._in_use[key] -= 1
