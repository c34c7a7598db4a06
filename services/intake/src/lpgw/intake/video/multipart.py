"""The renditions of one pushed segment as the reference's `multipart/mixed` answer (fact 59).

One part per transcoded rendition (the source is not sent back), each with
`Content-Type: video/MP2T; name="<profile>_<seq>.ts"`, `Content-Length`,
`Content-Disposition: attachment; filename="<profile>_<seq>.ts"` and `Rendition-Name`.
"""

import secrets
from dataclasses import dataclass

from lpgw.video.profiles import SOURCE
from lpgw.video.records import SegmentRecord

_TYPES = {"video/mp4": ("video/mp4", ".mp4")}
_DEFAULT_TYPE = ("video/MP2T", ".ts")


@dataclass(frozen=True)
class Part:
    rendition: str
    key: str
    """Blob key of the rendition's file."""
    content_type: str
    filename: str


def parts_of(record: SegmentRecord) -> list[Part]:
    """The parts to send for `record`, in its rendition order."""
    parts = []
    for rendition in record.renditions:
        if rendition.name == SOURCE:
            continue
        content_type, extension = _TYPES.get(rendition.content_type, _DEFAULT_TYPE)
        filename = f"{rendition.name}_{record.seq}{extension}"
        parts.append(Part(rendition.name, rendition.key, content_type, filename))
    return parts


def new_boundary() -> str:
    return secrets.token_hex(16)


def multipart_body(parts: list[tuple[Part, bytes]], boundary: str) -> bytes:
    chunks: list[bytes] = []
    for part, data in parts:
        head = (
            f"--{boundary}\r\n"
            f'Content-Type: {part.content_type}; name="{part.filename}"\r\n'
            f"Content-Length: {len(data)}\r\n"
            f'Content-Disposition: attachment; filename="{part.filename}"\r\n'
            f"Rendition-Name: {part.rendition}\r\n\r\n"
        )
        chunks += [head.encode(), data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def content_type(boundary: str) -> str:
    return f"multipart/mixed; boundary={boundary}"
