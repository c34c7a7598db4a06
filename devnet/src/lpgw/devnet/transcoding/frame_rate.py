"""Frame-rate conversion as a pure rule over timestamps, for profiles with an `fps`.

Each input frame falls in the output slot nearest its timestamp (half rounds up), counted from
the first frame at the output rate. A slot shows the last frame that fell in it; an empty slot
repeats the frame before it; slots from the last frame to the end of the segment repeat the
last frame, and a slot starting at or after that end belongs to the next segment. So 60 → 30
fps keeps every second frame, 25 → 30 repeats one frame in six, and a source already at the
output rate passes unchanged, each frame on its own timestamp. Timestamps are integers in a
time base given as a Fraction of a second.
"""

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass(frozen=True)
class Timed(Generic[Item]):
    item: Item
    pts: int


class FrameRate(Generic[Item]):
    def __init__(self, rate: Fraction, time_base: Fraction) -> None:
        if rate <= 0:
            raise ValueError("the output rate must be positive")
        self._rate = rate
        self._time_base = time_base
        self._origin: int | None = None
        self._pending: tuple[Item, int] | None = None

    def _slot(self, pts: int) -> int:
        assert self._origin is not None
        return math.floor((pts - self._origin) * self._time_base * self._rate + Fraction(1, 2))

    def _slot_pts(self, slot: int) -> int:
        assert self._origin is not None
        return self._origin + round(Fraction(slot) / self._rate / self._time_base)

    def _fill(self, until_slot: int) -> list[Timed[Item]]:
        """The pending frame in its slot and repeated in every slot before `until_slot`."""
        if self._pending is None:
            return []
        item, slot = self._pending
        return [Timed(item, self._slot_pts(s)) for s in range(slot, max(until_slot, slot + 1))]

    def push(self, item: Item, pts: int) -> list[Timed[Item]]:
        """Frames ready for the encoder once `item` (at `pts`) arrived."""
        if self._origin is None:
            self._origin = pts
        slot = self._slot(pts)
        if self._pending is not None and slot <= self._pending[1]:
            self._pending = (item, self._pending[1])  # a later frame in the same slot wins
            return []
        out = self._fill(slot)
        self._pending = (item, slot)
        return out

    def finish(self, end_pts: int) -> list[Timed[Item]]:
        """The remaining frames up to `end_pts` (the end of the last input frame)."""
        if self._pending is None or self._origin is None:
            return []
        end_slot = math.ceil((end_pts - self._origin) * self._time_base * self._rate)
        out = self._fill(end_slot) if self._pending[1] < end_slot else []
        self._pending = None
        return out
