"""Results held in memory for `GET /stream/...`, bounded in bytes, oldest evicted first."""

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredMedia:
    data: bytes
    content_type: str


class MediaStore:
    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._size = 0
        self._items: OrderedDict[tuple[str, str], StoredMedia] = OrderedDict()

    def put(self, request_id: str, name: str, data: bytes, content_type: str) -> None:
        key = (request_id, name)
        previous = self._items.pop(key, None)
        if previous is not None:
            self._size -= len(previous.data)
        self._items[key] = StoredMedia(data, content_type)
        self._size += len(data)
        while self._size > self._max_bytes and len(self._items) > 1:
            _, evicted = self._items.popitem(last=False)
            self._size -= len(evicted.data)

    def get(self, request_id: str, name: str) -> StoredMedia | None:
        return self._items.get((request_id, name))

    def drop(self, request_id: str) -> None:
        """Forget everything stored under `request_id` (an ended transcoding session)."""
        for key in [key for key in self._items if key[0] == request_id]:
            self._size -= len(self._items.pop(key).data)
