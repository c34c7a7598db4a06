"""Request bodies: `decode_body` on real multipart and JSON bytes, and every way a body can be
refused over HTTP (over a real NATS), each answered with the right status and nothing
published."""

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from lpgw.intake.ai.decoding import decode_body
from lpgw.intake.ai.jobs import Upload
from lpgw.intake.errors import FileRejected, InvalidRequest, MalformedJson, UnsupportedBody
from lpgw.pipelines import (
    AudioToTextParams,
    ImageToImageParams,
    LLMRequest,
    SegmentAnything2Params,
    by_path,
)
from lpgw.pipelines.inputs import IMAGE_UPLOAD_BYTES, image_part

PNG_HEAD = b"\x89PNG\r\n\x1a\n"


def multipart(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[str, bytes]:
    """(Content-Type, body) of a form as httpx sends it."""
    if not files:
        return form_without_files(data)
    request = httpx.Request("POST", "http://intake/", data=data, files=files)
    return request.headers["content-type"], request.read()


def form_without_files(data: dict[str, str]) -> tuple[str, bytes]:
    """A multipart form of text fields only, built by hand (httpx would send such a form
    urlencoded)."""
    boundary = "lpgw-test-boundary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in data.items()
    )
    return f"multipart/form-data; boundary={boundary}", body + f"--{boundary}--\r\n".encode()


# decode_body ------------------------------------------------------------------------------------


async def test_form_text_is_converted_and_files_are_kept_as_sent() -> None:
    content_type, body = multipart(
        {"prompt": "a cat", "strength": "0.5", "safety_check": "false", "unknown": "x"},
        {"image": ("cat.png", PNG_HEAD + b"rest", "image/png")},
    )
    decoded = await decode_body(by_path("/image-to-image"), content_type, body)
    assert decoded.params == ImageToImageParams(prompt="a cat", strength=0.5, safety_check=False)
    assert decoded.files == {"image": Upload(PNG_HEAD + b"rest", "image/png", "cat.png")}


async def test_a_json_body_is_parsed_whatever_its_content_type_says() -> None:
    decoded = await decode_body(
        by_path("/llm"), "text/plain", b'{"messages": [{"role": "user", "content": "hi"}]}'
    )
    assert decoded.params == LLMRequest.model_validate(
        {"messages": [{"role": "user", "content": "hi"}]}
    )
    assert decoded.files == {}


async def test_a_multipart_content_type_with_parameters_in_capitals() -> None:
    content_type, body = multipart({}, {"audio": ("a.wav", b"RIFF", "audio/wav")})
    kind, _, parameters = content_type.partition(";")
    shouted = f"{kind.upper()};{parameters.replace('boundary=', 'BOUNDARY=')}"
    decoded = await decode_body(by_path("/audio-to-text"), shouted, body)
    assert decoded.params == AudioToTextParams()


async def test_sam2_prompts_are_checked_as_arrays() -> None:
    content_type, body = multipart(
        {"point_coords": "[[1, 2], [3, 4]]", "point_labels": "[1]"},
        {"image": ("in.png", PNG_HEAD, "image/png")},
    )
    with pytest.raises(InvalidRequest) as raised:
        await decode_body(by_path("/segment-anything-2"), content_type, body)
    assert [error.loc for error in raised.value.errors] == [("body",)]
    assert "2 point_coords but 1 point_labels" in str(raised.value)
    ok_type, ok_body = multipart(
        {"box": "[0, 0, 10, 10]"}, {"image": ("in.png", PNG_HEAD, "image/png")}
    )
    decoded = await decode_body(by_path("/segment-anything-2"), ok_type, ok_body)
    assert decoded.params == SegmentAnything2Params(box="[0, 0, 10, 10]")


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        pytest.param({}, 400, "the file part 'image' is required", id="missing image: 400"),
        pytest.param(
            {"image": ("in.txt", b"hello", "text/plain")},
            415,
            "the file part 'image' is text/plain; accepted types:",
            id="a type no runner opens: 415",
        ),
        pytest.param(
            {"image": ("in.png", b"x" * 101, "image/png")},
            413,
            "the file part 'image' has 101 bytes; at most 100",
            id="over the part's limit: 413",
        ),
        pytest.param(
            {"picture": ("in.png", PNG_HEAD, "image/png")},
            400,
            "the file part 'image' is required",
            id="a file under another name does not count",
        ),
    ],
)
async def test_file_parts_are_checked_against_the_declaration(
    files: dict[str, tuple[str, bytes, str]], status: int, message: str
) -> None:
    small = dataclasses.replace(by_path("/upscale"), files=(image_part(max_bytes=100),))
    content_type, body = multipart({"prompt": "p"}, files)
    with pytest.raises(FileRejected) as raised:
        await decode_body(small, content_type, body)
    assert raised.value.status == status
    assert message in str(raised.value)


async def test_a_generic_file_type_is_left_to_the_decoder() -> None:
    content_type, body = multipart(
        {"prompt": "p"}, {"image": ("in", PNG_HEAD, "application/octet-stream")}
    )
    decoded = await decode_body(by_path("/upscale"), content_type, body)
    assert decoded.files["image"].content_type == "application/octet-stream"


@pytest.mark.parametrize(
    ("content_type", "body", "error"),
    [
        pytest.param("application/json", b"{}", UnsupportedBody, id="json to a form route"),
        pytest.param("", b"", UnsupportedBody, id="no content type"),
        pytest.param(
            "multipart/form-data", b"--x\r\n", UnsupportedBody, id="multipart without a boundary"
        ),
    ],
)
async def test_bodies_of_the_wrong_kind(content_type: str, body: bytes, error: type) -> None:
    with pytest.raises(error):
        await decode_body(by_path("/upscale"), content_type, body)


async def test_malformed_json_and_schema_violations_are_told_apart() -> None:
    with pytest.raises(MalformedJson):
        await decode_body(by_path("/text-to-speech"), "application/json", b'{"text": ')
    with pytest.raises(InvalidRequest) as raised:
        await decode_body(by_path("/text-to-speech"), "application/json", b'{"text": ""}')
    assert [error.loc for error in raised.value.errors] == [("body", "text")]


# Over HTTP --------------------------------------------------------------------------------------

integration = pytest.mark.integration


def _image(samples: Any) -> dict[str, tuple[str, bytes, str]]:
    return {"image": ("in.png", samples.png(32, 32), "image/png")}


def _form(**fields: str) -> dict[str, Any]:
    """Request arguments of a multipart form without any file."""
    content_type, body = form_without_files(fields)
    return {"headers": {"content-type": content_type}, "content": body}


BAD_REQUESTS = [
    pytest.param(
        "/image-to-image",
        lambda s: _form(prompt="p"),
        400,
        "the file part 'image' is required",
        id="missing file part: 400 naming it",
    ),
    pytest.param(
        "/image-to-image",
        lambda s: {"data": {"prompt": "p"}},
        400,
        "/image-to-image takes multipart/form-data, not application/x-www-form-urlencoded",
        id="an urlencoded form: 400",
    ),
    pytest.param(
        "/audio-to-text",
        lambda s: {"files": {"audio": ("a.txt", b"words", "text/plain")}},
        415,
        "the file part 'audio' is text/plain",
        id="a file of a refused type: 415",
    ),
    pytest.param(
        "/upscale",
        lambda s: {"json": {"prompt": "p"}},
        400,
        "/upscale takes multipart/form-data, not application/json",
        id="JSON to a multipart route: 400",
    ),
    pytest.param(
        "/image-to-text",
        lambda s: {"files": {"image": ("in.png", b"not an image at all", "image/png")}},
        400,
        "the file part 'image' is not a readable image",
        id="a non-image in `image`: 400",
    ),
    pytest.param(
        "/audio-to-text",
        lambda s: {"files": {"audio": ("a.wav", s.wav(0.5), "audio/wav")}},
        400,
        "audio must last at least 1 s",
        id="audio shorter than a second: 400",
    ),
    pytest.param(
        "/audio-to-text",
        lambda s: {"files": {"audio": ("a.wav", b"RIFF....WAVEnope", "audio/wav")}},
        400,
        "the file part 'audio' cannot be decoded",
        id="audio that does not decode: 400",
    ),
    pytest.param(
        "/image-to-video",
        lambda s: {"data": {"fps": "many"}, "files": _image(s)},
        422,
        "body.fps",
        id="form text of the wrong type: 422",
    ),
    pytest.param(
        "/llm",
        lambda s: {"json": {"messages": []}},
        422,
        "body.messages",
        id="llm without messages: 422",
    ),
    pytest.param(
        "/llm",
        lambda s: {"json": {"messages": [{"role": "user", "content": "x"}], "stream": None}},
        422,
        "body.stream",
        id="llm with a null stream: 422",
    ),
    pytest.param(
        "/text-to-speech",
        lambda s: {"json": {"description": "calm"}},
        422,
        "body.text: Field required",
        id="speech without text: 422",
    ),
    pytest.param(
        "/text-to-image",
        lambda s: {"content": b"{nope", "headers": {"content-type": "application/json"}},
        400,
        "request body is not valid JSON",
        id="malformed JSON: 400",
    ),
]


@integration
@pytest.mark.parametrize(("path", "build", "status", "message"), BAD_REQUESTS)
async def test_bad_requests_are_refused_and_never_published(
    path: str,
    build: Any,
    status: int,
    message: str,
    ai_intake: Any,
    jobs_published: Any,
    samples: Any,
) -> None:
    async with ai_intake() as intake:
        response = await intake.client.post(path, **build(samples))
    assert response.status_code == status, response.text
    body = response.json()
    assert message in body["error"]["message"]
    if status == 422:
        assert all(item["loc"][0] == "body" for item in body["detail"])
    else:
        assert body["detail"] == {"msg": body["error"]["message"]}
    assert "x-request-id" in response.headers
    assert await jobs_published() == 0


@integration
async def test_schema_violations_name_every_field(ai_intake: Any, samples: Any) -> None:
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/image-to-image",
            data={"strength": "2", "num_inference_steps": "0", "loras": "not json"},
            files=_image(samples),
        )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [item["loc"] for item in detail] == [
        ["body", "prompt"],
        ["body", "loras"],
        ["body", "strength"],
        ["body", "num_inference_steps"],
    ]
    assert all(set(item) == {"loc", "msg", "type"} for item in detail)


@integration
async def test_an_image_over_the_part_limit_is_a_413(
    ai_intake: Any, jobs_published: Any, samples: Any
) -> None:
    limit = by_path("/upscale").files[0].max_bytes
    assert limit == IMAGE_UPLOAD_BYTES
    big = samples.png(8, 8) + b"\x00" * (limit + 1 - len(samples.png(8, 8)))
    async with ai_intake() as intake:
        response = await intake.client.post(
            "/upscale", data={"prompt": "p"}, files={"image": ("big.png", big, "image/png")}
        )
    assert response.status_code == 413
    assert f"at most {limit}" in response.json()["error"]["message"]
    assert await jobs_published() == 0


@integration
@pytest.mark.parametrize("declared", [True, False], ids=["declared length", "chunked"])
async def test_a_body_over_the_pipeline_limit_is_a_413(
    declared: bool, ai_intake: Any, jobs_published: Any
) -> None:
    limit = by_path("/text-to-speech").max_request_bytes
    body = b'{"text": "' + b"x" * limit + b'"}'

    async def pieces() -> AsyncIterator[bytes]:
        for at in range(0, len(body), 64 * 1024):
            yield body[at : at + 64 * 1024]

    async with ai_intake() as intake:
        response = await intake.client.post(
            "/text-to-speech",
            content=body if declared else pieces(),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    message = f"request body larger than {limit} bytes"
    assert response.json() == {"error": {"message": message}, "detail": {"msg": message}}
    assert await jobs_published() == 0
