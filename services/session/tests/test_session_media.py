"""Result media: URLs found in a response, data URLs, and the rewritten response."""

import base64
import subprocess
import sys
from typing import Any

import pytest
from lpgw.pipelines import MP4, WAV
from lpgw.pipelines import PNG as PNG_KIND
from lpgw.session.failures import InvalidResponse, MediaUnavailable
from lpgw.session.media import (
    absolute_url,
    blob_key,
    decode_data_url,
    is_data_url,
    media_content_type,
    media_urls,
    rewrite_response,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"rest"


def test_media_urls_in_order() -> None:
    response = {"images": [{"url": "https://o/stream/r/0.png"}, {"url": "https://o/1.png"}]}
    assert media_urls(response, PNG_KIND, 2) == ["https://o/stream/r/0.png", "https://o/1.png"]


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
        media_urls(response, PNG_KIND, 1)


def test_rewrite_keeps_seed_and_nsfw_and_does_not_mutate() -> None:
    response: dict[str, Any] = {
        "images": [
            {"url": "https://o/stream/x/a.png", "seed": 7, "nsfw": False},
            {"url": "data:image/png;base64,AA==", "seed": 8, "nsfw": True},
        ]
    }
    rewritten = rewrite_response(response, "job1", PNG_KIND, 2)
    assert rewritten == {
        "images": [
            {"url": "/stream/job1/0.png", "seed": 7, "nsfw": False},
            {"url": "/stream/job1/1.png", "seed": 8, "nsfw": True},
        ]
    }
    assert response["images"][0]["url"] == "https://o/stream/x/a.png"
    assert blob_key("job1", 1, PNG_KIND) == "job1/1.png"


def test_a_video_result_is_rehosted_as_mp4() -> None:
    response = {"images": [{"url": "https://o/stream/x/out.mp4", "seed": 3, "nsfw": False}]}
    assert rewrite_response(response, "j", MP4, 1) == {
        "images": [{"url": "/stream/j/0.mp4", "seed": 3, "nsfw": False}]
    }


def test_speech_is_found_under_audio_and_rehosted_as_wav() -> None:
    response = {"audio": {"url": "https://o/stream/x/speech.wav"}}
    assert media_urls(response, WAV, 1) == ["https://o/stream/x/speech.wav"]
    assert rewrite_response(response, "j", WAV, 1) == {"audio": {"url": "/stream/j/0.wav"}}
    with pytest.raises(InvalidResponse):
        media_urls({"audio": "https://o/x.wav"}, WAV, 1)


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
    assert media_content_type(received, PNG_KIND) == expected


@pytest.mark.parametrize(
    ("received", "kind", "expected"),
    [
        pytest.param("video/mp4", MP4, "video/mp4", id="mp4 kept"),
        pytest.param(None, MP4, "video/mp4", id="missing video type is mp4"),
        pytest.param("audio/mpeg", WAV, "audio/mpeg", id="mp3 speech kept"),
        pytest.param("", WAV, "audio/wav", id="missing audio type is wav"),
    ],
)
def test_video_and_audio_content_types(received: str | None, kind: object, expected: str) -> None:
    assert media_content_type(received, kind) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "received",
    [
        pytest.param("image/svg+xml", id="svg can carry script"),
        pytest.param("text/html; charset=utf-8", id="html"),
        pytest.param("image/gif", id="other image type"),
        pytest.param("video/mp4", id="a video where an image was asked for"),
    ],
)
def test_other_media_types_are_an_invalid_response(received: str) -> None:
    with pytest.raises(InvalidResponse):
        media_content_type(received, PNG_KIND)


def test_the_core_imports_no_io_library() -> None:
    code = (
        "import sys, lpgw.session.media, lpgw.session.attempts, lpgw.session.failures,"
        " lpgw.session.candidates;"
        "bad = {'nats', 'redis', 'grpc', 'httpx', 'aiohttp'}"
        " & {m.split('.')[0] for m in sys.modules};"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
