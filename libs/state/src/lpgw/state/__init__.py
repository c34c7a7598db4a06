"""Redis connection and every key name.

`connect` and `ping` load on first use, so importing `Keys` does not import the Redis client.
"""

import importlib
from typing import TYPE_CHECKING, Any

from lpgw.state.keys import Keys

if TYPE_CHECKING:
    from lpgw.state.connection import connect, ping


def __getattr__(name: str) -> Any:
    if name in ("connect", "ping"):
        return getattr(importlib.import_module("lpgw.state.connection"), name)
    raise AttributeError(f"module 'lpgw.state' has no attribute {name!r}")


__all__ = ["Keys", "connect", "ping"]
