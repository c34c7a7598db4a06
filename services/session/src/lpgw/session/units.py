"""Billable units of one batch AI request, as the orchestrator will compute them.

The gateway's estimate and the orchestrator's debit must use the same units, or the two
balances drift apart; so the units come from lpgw.pm.fees with the orchestrator's defaults
for fields the request leaves out (text-to-image: 512 × 512, one image).
"""

from collections.abc import Mapping
from typing import Any

from lpgw.pm.fees import text_to_image_units


class UnbillableRequest(Exception):
    """The request has no units: an unsupported pipeline or a size that is not an integer."""


def request_units(pipeline: str, body: Mapping[str, Any]) -> int:
    if pipeline == "text-to-image":
        return text_to_image_units(
            height=_whole(body, "height", 512),
            width=_whole(body, "width", 512),
            num_images=requested_images(body),
        )
    raise UnbillableRequest(f"no units for pipeline {pipeline}")


def requested_images(body: Mapping[str, Any]) -> int:
    """`num_images_per_prompt`, the orchestrator's default (1) when absent."""
    return _whole(body, "num_images_per_prompt", 1)


def _whole(body: Mapping[str, Any], name: str, default: int) -> int:
    """A non-negative integer field; absent or null means the orchestrator's default."""
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnbillableRequest(f"{name} must be a non-negative integer")
    return value
