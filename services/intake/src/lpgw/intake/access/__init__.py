"""Keys at the door: who may call the AI and BYOC routes (`Gate`), and how a refusal is
answered (`reply_for_access_error`). See `gate` for the modes and how to wire it.

`Gate` and `Caller` load on first use, so the pure parts (bearer parsing, errors, replies)
import neither Redis nor httpx.
"""

import importlib
from typing import TYPE_CHECKING, Any

from lpgw.intake.access.errors import (
    AccessError,
    AccessUnavailable,
    InvalidCredentials,
    MissingCredentials,
    RateLimited,
    Unauthorized,
)
from lpgw.intake.access.replies import reply_for_access_error

if TYPE_CHECKING:
    from lpgw.intake.access.gate import AuthMode, Caller, Gate, KeyAdmission

_LAZY = ("AuthMode", "Caller", "Gate", "KeyAdmission")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("lpgw.intake.access.gate"), name)
    raise AttributeError(f"module 'lpgw.intake.access' has no attribute {name!r}")


__all__ = [
    "AccessError",
    "AccessUnavailable",
    "AuthMode",
    "Caller",
    "Gate",
    "InvalidCredentials",
    "KeyAdmission",
    "MissingCredentials",
    "RateLimited",
    "Unauthorized",
    "reply_for_access_error",
]
