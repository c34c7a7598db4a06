"""Who may publish: configured stream keys (stored hashed), the auth webhook (fact 60) and the
stream configuration document it answers with."""

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from lpgw.intake.settings import IntakeSettings
from lpgw.intake.video.auth import Authorizer, Grant
from lpgw.intake.video.errors import AuthDenied, AuthUnavailable, UnknownKey
from lpgw.intake.video.keys import StreamKeys, derived_stream_id, key_hash, main
from lpgw.intake.video.transcode_config import (
    InvalidTranscodeConfig,
    TranscodeConfig,
    parse_transcode_config,
)
from lpgw.intake.video.webhook import AuthWebhook
from lpgw.service.errors import SettingsError
from lpgw.service.settings import load_settings
from lpgw.video.profiles import presets

KEY = "s3cret-key"
DEFAULTS = tuple(presets(["P240p30fps16x9", "P360p30fps16x9"]))
CUSTOM = {"name": "small", "width": 320, "height": 180, "bitrate": 300000, "fps": 30}


def test_keys_are_found_by_their_hash_only() -> None:
    keys = StreamKeys({"cam-1": key_hash(KEY), "cam-2": key_hash("other")})
    assert keys.stream_for(KEY) == "cam-1"
    assert keys.stream_for("other") == "cam-2"
    assert keys.stream_for("nope") is None
    assert keys.matches("cam-1", KEY)
    assert not keys.matches("cam-2", KEY)
    assert not keys.matches("cam-3", KEY)


def test_derived_stream_ids_are_stable_and_reveal_nothing_of_the_hash() -> None:
    derived = derived_stream_id(KEY)
    assert derived == derived_stream_id(KEY)
    assert len(derived) == 16 and int(derived, 16) >= 0
    assert not key_hash(KEY).startswith(derived)
    assert derived != derived_stream_id(KEY + "x")


def test_the_cli_prints_a_key_and_the_line_that_accepts_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["cam-1"])
    out = capsys.readouterr().out
    key = next(line.split()[2] for line in out.splitlines() if line.startswith("stream key:"))
    line = next(line for line in out.splitlines() if line.startswith("INTAKE_STREAM_KEYS="))
    configured = line.split("=", 1)[1].strip("'")
    monkeypatch.setenv("INTAKE_STREAM_KEYS", configured)
    settings = load_settings(IntakeSettings)
    assert StreamKeys(settings.intake_stream_keys).stream_for(key) == "cam-1"
    assert json.loads(configured) == {"cam-1": hashlib.sha256(key.encode()).hexdigest()}


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        pytest.param("INTAKE_STREAM_KEYS", "{", "INTAKE_STREAM_KEYS", id="keys not JSON"),
        pytest.param("INTAKE_STREAM_KEYS", '{"a": "abc"}', "SHA-256", id="not a hash"),
        pytest.param("INTAKE_STREAM_KEYS", json.dumps({"a.b": "0" * 64}), "stream ids", id="id"),
        pytest.param(
            "INTAKE_DEFAULT_PROFILES", "P240p30fps16x9,P9k", "unknown preset", id="preset"
        ),
        pytest.param("INTAKE_DEFAULT_PROFILES", " , ", "at least one", id="no preset"),
        pytest.param("INTAKE_MAX_SEGMENT_S", "1", "longer than INTAKE_SEGMENT_S", id="segment"),
        pytest.param("INTAKE_AUTH_WEBHOOK_URL", "ftp://x", "INTAKE_AUTH_WEBHOOK_URL", id="webhook"),
    ],
)
def test_invalid_video_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=problem):
        load_settings(IntakeSettings)


def test_video_setting_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_HOST", "0.0.0.0")
    settings = load_settings(IntakeSettings)
    assert settings.rtmp_host == "0.0.0.0"
    assert settings.intake_rtmp_port == 1935
    assert [p.name for p in settings.default_profiles] == ["P240p30fps16x9", "P360p30fps16x9"]
    assert settings.intake_max_streams == 10
    assert settings.intake_push_max_bytes == 300_000_000
    assert settings.intake_stream_keys == {}


@pytest.mark.parametrize(
    ("document", "required", "stream_id", "profiles"),
    [
        pytest.param({"manifestID": "cam"}, True, "cam", [], id="stream id only: defaults"),
        pytest.param(
            {"manifestID": "cam", "presets": ["P720p30fps16x9"], "profiles": [CUSTOM]},
            True,
            "cam",
            ["P720p30fps16x9", "small"],
            id="presets then profiles",
        ),
        pytest.param(
            {"manifestID": "cam", "streamKey": "x", "objectStore": "s3://", "other": 1},
            True,
            "cam",
            [],
            id="other keys ignored",
        ),
        pytest.param(
            {"presets": ["P144p30fps16x9"]}, False, None, ["P144p30fps16x9"], id="header form"
        ),
    ],
)
def test_transcode_configuration(
    document: dict[str, Any], required: bool, stream_id: str | None, profiles: list[str]
) -> None:
    parsed = parse_transcode_config(json.dumps(document), require_stream_id=required)
    assert parsed.stream_id == stream_id
    assert [profile.name for profile in parsed.profiles] == profiles


@pytest.mark.parametrize(
    ("text", "required"),
    [
        pytest.param("{", False, id="not JSON"),
        pytest.param("[]", False, id="not an object"),
        pytest.param("{}", True, id="webhook body without manifestID"),
        pytest.param('{"manifestID": "a/b"}', True, id="manifestID not a token"),
        pytest.param('{"presets": ["nope"]}', False, id="unknown preset"),
        pytest.param('{"presets": "P240p30fps16x9"}', False, id="presets not a list"),
        pytest.param('{"profiles": [{"name": "x"}]}', False, id="incomplete profile"),
        pytest.param(
            json.dumps({"presets": ["P240p30fps16x9", "P240p30fps16x9"]}), False, id="duplicates"
        ),
    ],
)
def test_invalid_transcode_configuration(text: str, required: bool) -> None:
    with pytest.raises(InvalidTranscodeConfig):
        parse_transcode_config(text, require_stream_id=required)


# The auth webhook --------------------------------------------------------------------------


Answer = Callable[[dict[str, Any]], web.Response]
ServeApp = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def webhook(serve_app: ServeApp, answer: Answer, seen: list[dict[str, Any]]) -> str:
    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(body)
        return answer(body)

    app = web.Application()
    app.router.add_post("/auth", handle)
    return await serve_app(app) + "/auth"


def authorizer(http: httpx.AsyncClient, url: str | None) -> Authorizer:
    hook = AuthWebhook(url, http, timeout_s=2.0) if url else None
    return Authorizer(StreamKeys({"cam-1": key_hash(KEY)}), hook, DEFAULTS)


async def test_a_configured_key_needs_no_webhook(
    serve_app: ServeApp, http: httpx.AsyncClient
) -> None:
    seen: list[dict[str, Any]] = []
    url = await webhook(serve_app, lambda body: web.Response(status=403), seen)
    grant = await authorizer(http, url).rtmp("rtmp://h/live/" + KEY, KEY)
    assert grant == Grant("cam-1", DEFAULTS, "key")
    assert seen == []


async def test_an_unknown_key_without_webhook_is_refused(http: httpx.AsyncClient) -> None:
    with pytest.raises(UnknownKey, match="unknown stream key") as refused:
        await authorizer(http, None).rtmp("rtmp://h/live/nope", "nope")
    assert "nope" not in str(refused.value)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(
            lambda body: web.Response(status=200),
            Grant(derived_stream_id("wk"), DEFAULTS, "webhook"),
            id="empty body: accepted with defaults",
        ),
        pytest.param(
            lambda body: web.json_response({"manifestID": "show", "presets": ["P144p30fps16x9"]}),
            Grant("show", tuple(presets(["P144p30fps16x9"])), "webhook"),
            id="manifestID and presets",
        ),
    ],
)
async def test_the_webhook_accepts(
    serve_app: ServeApp, http: httpx.AsyncClient, answer: Answer, expected: Grant
) -> None:
    seen: list[dict[str, Any]] = []
    url = await webhook(serve_app, answer, seen)
    grant = await authorizer(http, url).rtmp("rtmp://h:1935/live/wk?x=1", "wk")
    assert grant == expected
    assert seen == [{"url": "rtmp://h:1935/live/wk?x=1"}]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(lambda body: web.Response(status=403), AuthDenied, id="403 refuses"),
        pytest.param(lambda body: web.Response(status=500), AuthDenied, id="500 refuses"),
        pytest.param(lambda body: web.Response(text="{nope"), AuthUnavailable, id="not JSON"),
        pytest.param(
            lambda body: web.json_response({"manifestID": "../x"}), AuthUnavailable, id="bad id"
        ),
        pytest.param(
            lambda body: web.json_response({"presets": ["P240p30fps16x9"]}),
            AuthUnavailable,
            id="body without manifestID",
        ),
    ],
)
async def test_the_webhook_refuses(
    serve_app: ServeApp, http: httpx.AsyncClient, answer: Answer, error: type[Exception]
) -> None:
    url = await webhook(serve_app, answer, [])
    with pytest.raises(error):
        await authorizer(http, url).rtmp("rtmp://h/live/wk", "wk")


async def test_an_unreachable_webhook_refuses(http: httpx.AsyncClient) -> None:
    with pytest.raises(AuthUnavailable, match="unavailable"):
        await authorizer(http, "http://127.0.0.1:1/auth").rtmp("rtmp://h/live/wk", "wk")


async def test_push_needs_the_key_or_the_webhook(
    serve_app: ServeApp, http: httpx.AsyncClient
) -> None:
    without = authorizer(http, None)
    override = TranscodeConfig(None, tuple(presets(["P144p30fps16x9"])))
    assert await without.push("http://i/live/cam-1/0.ts", "cam-1", KEY, None) == Grant(
        "cam-1", DEFAULTS, "key"
    )
    assert (await without.push("u", "cam-1", KEY, override)).profiles == override.profiles
    with pytest.raises(UnknownKey, match="Authorization: Bearer"):
        await without.push("u", "cam-1", None, None)
    with pytest.raises(UnknownKey, match="wrong key"):
        await without.push("u", "cam-1", "guess", None)
    seen: list[dict[str, Any]] = []
    url = await webhook(serve_app, lambda body: web.Response(), seen)
    grant = await authorizer(http, url).push("http://i/live/s/3.ts?t=1", "s", None, override)
    assert grant == Grant("s", override.profiles, "webhook")
    assert seen == [{"url": "http://i/live/s/3.ts?t=1"}]
