"""Which `/stream/{request_id}/{file}` paths name a stored media file.

Keys are `{request_id}/{file}` in the media bucket. Only plain names are accepted, so no path
can climb out of a request's directory or smuggle separators into the object store's key.
"""

import re

_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_FILE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")


class InvalidMediaPath(ValueError):
    """The request id or file name is not one delivery could ever have stored."""


def media_key(request_id: str, file: str) -> str:
    if not _REQUEST_ID.fullmatch(request_id):
        raise InvalidMediaPath(f"invalid request id: {request_id!r}")
    if not _FILE.fullmatch(file) or ".." in file:
        raise InvalidMediaPath(f"invalid file name: {file!r}")
    return f"{request_id}/{file}"
