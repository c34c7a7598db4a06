"""Billable units of a request: what the orchestrator will debit, defaults included."""

from typing import Any

import pytest
from lpgw.session.units import UnbillableRequest, request_units


@pytest.mark.parametrize(
    ("body", "units"),
    [
        pytest.param({}, 512 * 512, id="defaults 512 x 512, one image"),
        pytest.param({"width": 64, "height": 48}, 64 * 48, id="size given"),
        pytest.param(
            {"width": 64, "height": 64, "num_images_per_prompt": 3}, 64 * 64 * 3, id="3 images"
        ),
        pytest.param({"width": None, "height": 32}, 512 * 32, id="null is the default"),
    ],
)
def test_text_to_image_units(body: dict[str, Any], units: int) -> None:
    assert request_units("text-to-image", {"prompt": "p", **body}) == units


@pytest.mark.parametrize(
    ("pipeline", "body"),
    [
        pytest.param("text-to-image", {"width": "wide"}, id="width not an integer"),
        pytest.param("text-to-image", {"height": -1}, id="negative height"),
        pytest.param("text-to-image", {"num_images_per_prompt": True}, id="boolean count"),
        pytest.param("llm", {}, id="pipeline without units yet"),
    ],
)
def test_unbillable_requests(pipeline: str, body: dict[str, Any]) -> None:
    with pytest.raises(UnbillableRequest):
        request_units(pipeline, body)
