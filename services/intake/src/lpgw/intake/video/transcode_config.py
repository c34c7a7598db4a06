"""The reference's stream configuration document (fact 60): the auth webhook's answer and the
`Livepeer-Transcode-Configuration` header of an HTTP push.

Used: `manifestID` (the stream id), `presets` (preset names) and `profiles` (JSON profiles),
presets first. Accepted and ignored, because this gateway has no use for them: `streamID`,
`sessionID`, `streamKey`, `objectStore`, `recordObjectStore`, `recordObjectStoreUrl`,
`previousSessions`, `verificationFreq`, `timeoutMultiplier`, `forceSessionReinit`, and any
other key.
"""

import json
from dataclasses import dataclass
from typing import Any

from lpgw.intake.video.keys import STREAM_ID
from lpgw.video.profiles import InvalidProfile, VideoProfile, from_json, presets, unique

IGNORED_FIELDS = (
    "streamID",
    "sessionID",
    "streamKey",
    "objectStore",
    "recordObjectStore",
    "recordObjectStoreUrl",
    "previousSessions",
    "verificationFreq",
    "timeoutMultiplier",
    "forceSessionReinit",
)


class InvalidTranscodeConfig(ValueError):
    """The document is not JSON, or names a bad stream id or profile."""


@dataclass(frozen=True)
class TranscodeConfig:
    stream_id: str | None = None
    profiles: tuple[VideoProfile, ...] = ()
    """Empty: the configured default renditions."""


def parse_transcode_config(text: bytes | str, require_stream_id: bool) -> TranscodeConfig:
    """`require_stream_id`: the auth webhook must name the stream when it answers a body."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidTranscodeConfig(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidTranscodeConfig("not a JSON object")
    stream_id = data.get("manifestID")
    if stream_id is None or stream_id == "":
        if require_stream_id:
            raise InvalidTranscodeConfig("manifestID is required")
        stream_id = None
    elif not isinstance(stream_id, str) or not STREAM_ID.match(stream_id):
        raise InvalidTranscodeConfig(f"manifestID must match {STREAM_ID.pattern}")
    return TranscodeConfig(stream_id, _profiles(data))


def _profiles(data: dict[str, Any]) -> tuple[VideoProfile, ...]:
    names = data.get("presets") or []
    documents = data.get("profiles") or []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise InvalidTranscodeConfig("presets must be a list of preset names")
    if not isinstance(documents, list):
        raise InvalidTranscodeConfig("profiles must be a list of profiles")
    try:
        return tuple(unique([*presets(names), *(from_json(doc) for doc in documents)]))
    except InvalidProfile as exc:
        raise InvalidTranscodeConfig(str(exc)) from None
