"""Why a video request cannot be answered; mapped to HTTP statuses once, in `replies`."""


class VideoNotFound(Exception):
    """Nothing to serve at this URL (with a message naming what is missing)."""


class StreamNotFound(VideoNotFound):
    def __init__(self, stream_id: str) -> None:
        super().__init__(f"no stream {stream_id}")


class RenditionNotFound(VideoNotFound):
    def __init__(self, stream_id: str, rendition: str) -> None:
        super().__init__(f"stream {stream_id} has no rendition {rendition}")


class SegmentNotFound(VideoNotFound):
    def __init__(self, what: str) -> None:
        super().__init__(f"no segment {what}")


class RemuxFailed(Exception):
    """A stored segment cannot be turned into fragmented MP4 (corrupt, or no such track)."""
