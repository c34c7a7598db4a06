"""Refusals of `POST /segment` before its 200, with the reference orchestrator's texts.

Statuses are chosen once, in `http_app`. Failures after the 200 are not errors of this kind:
they travel inside the TranscodeResult (`TranscodeFailed`).
"""

from lpgw.devnet.errors import DevnetError


class OrchestratorCapped(DevnetError):
    """A new transcoding session past `--max-sessions` (HTTP 403; gRPC in GetOrchestrator)."""

    def __init__(self) -> None:
        super().__init__("OrchestratorCapped")


class InvalidDuration(DevnetError):
    """`SegData.duration` outside 0…300 000 ms (HTTP 403)."""

    def __init__(self) -> None:
        super().__init__("invalid duration")


class SegmentHashMismatch(DevnetError):
    """keccak256 of the body is not `SegData.hash` (HTTP 403)."""

    def __init__(self) -> None:
        super().__init__("Forbidden")


class BadSegmentBody(DevnetError):
    """The body is too large, or its URL could not be fetched in time (HTTP 400)."""

    def __init__(self) -> None:
        super().__init__("BadRequest")


class TranscodeFailed(DevnetError):
    """The segment could not be transcoded; reported as `TranscodeResult.error`."""

    @classmethod
    def of(cls, error: Exception) -> "TranscodeFailed":
        """FFmpeg's own words ("Invalid data found when processing input"), without errno."""
        strerror = getattr(error, "strerror", None)
        return cls(strerror if isinstance(strerror, str) and strerror else str(error))
