"""`Range` headers on segment files."""

import pytest
from lpgw.delivery.video.ranges import ByteRange, UnsatisfiableRange, byte_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(None, None, id="no header: whole file"),
        pytest.param("bytes=0-1", ByteRange(0, 1, 100), id="Safari's probe"),
        pytest.param("bytes=10-", ByteRange(10, 99, 100), id="open end"),
        pytest.param("bytes=90-1000", ByteRange(90, 99, 100), id="end past the file is clipped"),
        pytest.param("bytes=-10", ByteRange(90, 99, 100), id="suffix"),
        pytest.param("bytes=-1000", ByteRange(0, 99, 100), id="suffix longer than the file"),
        pytest.param("bytes=0-1,5-6", None, id="several ranges: whole file"),
        pytest.param("items=0-1", None, id="another unit: whole file"),
        pytest.param("bytes=5-3", None, id="backwards: ignored"),
    ],
)
def test_ranges(header: str | None, expected: ByteRange | None) -> None:
    assert byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0"])
def test_unsatisfiable(header: str) -> None:
    with pytest.raises(UnsatisfiableRange):
        byte_range(header, 100)


def test_content_range() -> None:
    found = byte_range("bytes=10-19", 100)
    assert found is not None
    assert (found.content_range, found.length) == ("bytes 10-19/100", 10)
