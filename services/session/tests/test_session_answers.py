"""Decoding an orchestrator's JSON answer: whatever it sends is at worst an invalid response."""

import pytest
from lpgw.session.answers import MAX_DEPTH, decode_answer, nesting_depth
from lpgw.session.failures import InvalidResponse


def _nested(levels: int) -> bytes:
    """An ImageResponse whose extra field nests `levels` arrays."""
    return b'{"images": [{"url": "u", "extra": ' + b"[" * levels + b"]" * levels + b"}]}"


def test_an_image_response_is_decoded() -> None:
    body = b'{"images": [{"url": "https://o/a.png", "seed": 1, "nsfw": false}]}'
    assert decode_answer(body) == {"images": [{"url": "https://o/a.png", "seed": 1, "nsfw": False}]}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_nested(1000), id="deeper than the decoder goes"),
        pytest.param(_nested(400), id="deeper than copying and serializing go"),
        pytest.param(_nested(MAX_DEPTH - 2), id="just over the limit"),
        pytest.param(b"<html>", id="not JSON"),
        pytest.param(b"\xff\xfe\x00", id="not text"),
        pytest.param(b"[1]", id="not an object"),
    ],
)
def test_what_is_not_a_reasonable_json_object_is_an_invalid_response(body: bytes) -> None:
    with pytest.raises(InvalidResponse):
        decode_answer(body)


def test_nesting_depth() -> None:
    assert nesting_depth(1) == 0
    assert nesting_depth({}) == 1
    assert nesting_depth({"images": [{"url": "u"}]}) == 3
    assert nesting_depth([[[]], []]) == 3
    assert nesting_depth(decode_answer(_nested(MAX_DEPTH - 3))) == MAX_DEPTH
