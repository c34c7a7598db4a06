"""Concurrent job slots per model; a job holds a slot from admission to its answer."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from lpgw.devnet.errors import InsufficientCapacity


class ModelSlots:
    """A fixed number of slots per served model. Single-threaded (one event loop)."""

    def __init__(self, models: Iterable[str], capacity: int) -> None:
        self._capacity = capacity
        self._in_use = dict.fromkeys(models, 0)

    def free(self) -> dict[str, int]:
        return {model: self._capacity - used for model, used in self._in_use.items()}

    @contextmanager
    def reserve(self, model: str) -> Iterator[None]:
        """Hold one slot for `model`; an unknown model has no slots at all."""
        used = self._in_use.get(model)
        if used is None or used >= self._capacity:
            raise InsufficientCapacity()
        self._in_use[model] = used + 1
        try:
            yield
        finally:
            self._in_use[model] -= 1
