"""Which stream paths name stored media, and which are refused before touching the store."""

import pytest
from lpgw.delivery.media_keys import InvalidMediaPath, media_key


@pytest.mark.parametrize(
    ("request_id", "file", "key"),
    [
        pytest.param("0123456789abcdef", "0.png", "0123456789abcdef/0.png", id="session file"),
        pytest.param("job-1_a", "clip.final.mp4", "job-1_a/clip.final.mp4", id="dots, dashes"),
    ],
)
def test_plain_names_are_keys(request_id: str, file: str, key: str) -> None:
    assert media_key(request_id, file) == key


@pytest.mark.parametrize(
    ("request_id", "file"),
    [
        pytest.param("..", "0.png", id="parent as request id"),
        pytest.param("abc", "..", id="parent as file"),
        pytest.param("abc", ".", id="current directory"),
        pytest.param("abc", ".hidden", id="hidden file"),
        pytest.param("abc", "a..b", id="double dot inside"),
        pytest.param("abc", "a/b.png", id="slash in file"),
        pytest.param("abc", "a\\b.png", id="backslash in file"),
        pytest.param("a b", "0.png", id="space in request id"),
        pytest.param("abc", "0.png\x00", id="nul byte"),
        pytest.param("abc", "é.png", id="non-ascii"),
        pytest.param("", "0.png", id="empty request id"),
        pytest.param("abc", "", id="empty file"),
        pytest.param("a" * 65, "0.png", id="request id too long"),
        pytest.param("abc", "f" * 129, id="file name too long"),
        pytest.param("abc", "a*.png", id="wildcard"),
    ],
)
def test_odd_names_are_refused(request_id: str, file: str) -> None:
    with pytest.raises(InvalidMediaPath):
        media_key(request_id, file)
