"""Why intake refuses a publisher or a pushed segment: one type per reason, mapped to an RTMP
status in `publishers` and to an HTTP status in `routes.live`. Messages never hold a key."""


class VideoRefused(Exception):
    """Base: the message is what the publisher is told."""


class UnknownKey(VideoRefused):
    """No configured key matches and no auth webhook accepted it."""


class AuthDenied(VideoRefused):
    """The auth webhook answered with a status other than 200."""


class AuthUnavailable(VideoRefused):
    """The auth webhook could not be asked, or answered something unusable."""


class StreamBusy(VideoRefused):
    """The stream already has a publisher on this intake."""


class TooManyStreams(VideoRefused):
    """The gateway runs `INTAKE_MAX_STREAMS` live streams already."""


class IngestUnavailable(VideoRefused):
    """Redis, NATS or the blob store failed while taking the segment (retry later)."""


class BadPush(VideoRefused):
    """A push request that can never succeed as sent (path, headers): 400."""


class UnprobeableMedia(VideoRefused):
    """A pushed body that is not audio/video intake can read: 422."""


class TranscodeTimeout(VideoRefused):
    """The session did not store the segment's renditions within `INTAKE_PUSH_WAIT_S`."""


class NotTranscoded(VideoRefused):
    """No orchestrator produced the segment (it is published as source only)."""
