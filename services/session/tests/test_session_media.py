"""Result media: URLs found in a response, data URLs, and the rewritten response."""

import base64
import subprocess
import sys
from typing import Any

import pytest
from lpgw.session.failures import InvalidResponse, MediaUnavailable
from lpgw.session.media import (
    absolute_url,
    blob_key,
    decode_data_url,
    image_content_type,
    is_data_url,
    media_urls,
    rewrite_response,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"rest"


def test_media_urls_in_order() -> None:
    response = {"images": [{"url": "https://o/stream/r/0.png"}, {"url": "https://o/1.png"}]}
    assert media_urls(response, max_images=2) == ["https://o/stream/r/0.png", "https://o/1.png"]


@pytest.mark.parametrize(
    "response",
    [
        pytest.param([], id="not an object"),
        pytest.param({}, id="no images"),
        pytest.param({"images": []}, id="empty images"),
        pytest.param({"images": [{"seed": 1}]}, id="image without url"),
        pytest.param({"images": ["x"]}, id="image is not an object"),
        pytest.param({"images": [{"url": ""}]}, id="empty url"),
        pytest.param({"images": [{"url": "a"}, {"url": "b"}]}, id="more images than asked"),
    ],
)
def test_invalid_responses(response: object) -> None:
    with pytest.raises(InvalidResponse):
        media_urls(response, max_images=1)


def test_rewrite_keeps_seed_and_nsfw_and_does_not_mutate() -> None:
    response: dict[str, Any] = {
        "images": [
            {"url": "https://o/stream/x/a.png", "seed": 7, "nsfw": False},
            {"url": "data:image/png;base64,AA==", "seed": 8, "nsfw": True},
        ]
    }
    rewritten = rewrite_response(response, "job1")
    assert rewritten == {
        "images": [
            {"url": "/stream/job1/0.png", "seed": 7, "nsfw": False},
            {"url": "/stream/job1/1.png", "seed": 8, "nsfw": True},
        ]
    }
    assert response["images"][0]["url"] == "https://o/stream/x/a.png"
    assert blob_key("job1", 1) == "job1/1.png"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "data:image/png;base64," + base64.b64encode(PNG).decode(),
            (PNG, "image/png"),
            id="base64 png",
        ),
        pytest.param("data:,a%20b", (b"a b", "text/plain"), id="percent-encoded default type"),
    ],
)
def test_decode_data_url(url: str, expected: tuple[bytes, str]) -> None:
    assert is_data_url(url)
    assert decode_data_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("data:image/png;base64", id="no comma"),
        pytest.param("data:image/png;base64,@@@", id="bad base64"),
    ],
)
def test_malformed_data_urls(url: str) -> None:
    with pytest.raises(MediaUnavailable):
        decode_data_url(url)


@pytest.mark.parametrize(
    ("transcoder", "url", "expected"),
    [
        pytest.param(
            "https://o:1",
            "https://o:1/stream/a.png",
            "https://o:1/stream/a.png",
            id="absolute kept",
        ),
        pytest.param(
            "https://o:1",
            "/stream/a.png",
            "https://o:1/stream/a.png",
            id="relative joined to service uri",
        ),
    ],
)
def test_absolute_url(transcoder: str, url: str, expected: str) -> None:
    assert absolute_url(transcoder, url) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param("image/png", "image/png", id="png kept"),
        pytest.param("image/jpeg; q=1", "image/jpeg", id="jpeg kept"),
        pytest.param("Image/WebP", "image/webp", id="webp kept"),
        pytest.param("application/octet-stream", "image/png", id="generic becomes png"),
        pytest.param(None, "image/png", id="missing becomes png"),
    ],
)
def test_image_content_type(received: str | None, expected: str) -> None:
    assert image_content_type(received) == expected


@pytest.mark.parametrize(
    "received",
    [
        pytest.param("image/svg+xml", id="svg can carry script"),
        pytest.param("text/html; charset=utf-8", id="html"),
        pytest.param("image/gif", id="other image type"),
    ],
)
def test_other_media_types_are_an_invalid_response(received: str) -> None:
    with pytest.raises(InvalidResponse):
        image_content_type(received)


def test_the_core_imports_no_io_library() -> None:
    code = (
        "import sys, lpgw.session.media, lpgw.session.attempts, lpgw.session.failures,"
        " lpgw.session.candidates, lpgw.session.units;"
        "bad = {'nats', 'redis', 'grpc', 'httpx', 'aiohttp'}"
        " & {m.split('.')[0] for m in sys.modules};"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
