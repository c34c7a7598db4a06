"""HTTP `Range: bytes=…` on a file of known size (RFC 9110 §14).

Players ask for byte ranges of segments (Safari always probes with `bytes=0-1`). One range is
served as 206; a header this does not understand, or several ranges, is ignored and the whole
file served (which the RFC allows); a range starting past the end is unsatisfiable (416).
"""

import re
from dataclasses import dataclass

_SINGLE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


class UnsatisfiableRange(Exception):
    """No byte of the requested range exists."""

    def __init__(self, size: int) -> None:
        super().__init__(f"range not satisfiable (size {size})")
        self.size = size


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int
    """Inclusive, as in `Content-Range`."""
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


def byte_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to serve, or None for the whole file."""
    if header is None:
        return None
    match = _SINGLE.fullmatch(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise UnsatisfiableRange(size)
        return ByteRange(max(size - suffix, 0), size - 1, size)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        raise UnsatisfiableRange(size)
    return ByteRange(start, end, size)
