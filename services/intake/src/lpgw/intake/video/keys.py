"""Stream keys: the secret in a publisher's URL, configured only as its SHA-256.

`INTAKE_STREAM_KEYS` maps a stream id (public: it names the playback URLs) to the hex SHA-256
of its key, so the configuration and the logs never hold a key. Run
`python -m lpgw.intake.video.keys [STREAM_ID]` (or `lpgw-intake-keys`) to make one.
"""

import argparse
import hashlib
import hmac
import json
import re
import secrets
import sys
from collections.abc import Mapping

STREAM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
KEY_HASH = re.compile(r"^[0-9a-f]{64}$")
KEY_BYTES = 24
_DERIVED_ID_CONTEXT = b"lpgw stream id\x00"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_label(key: str) -> str:
    """What logs may say about a key: the first 12 hex digits of its hash."""
    return key_hash(key)[:12]


def derived_stream_id(key: str) -> str:
    """A stable, non-secret id for a key the auth webhook accepted without naming a stream:
    16 hex digits of a hash of the key in its own domain (not a prefix of `key_hash`)."""
    return hashlib.sha256(_DERIVED_ID_CONTEXT + key.encode()).hexdigest()[:16]


def new_key() -> str:
    """192 random bits, URL-safe (one RTMP path segment, no escaping)."""
    return secrets.token_urlsafe(KEY_BYTES)


class StreamKeys:
    """The configured keys; every lookup compares against every entry in constant time."""

    def __init__(self, hashes: Mapping[str, str]) -> None:
        self._hashes = dict(hashes)

    def __bool__(self) -> bool:
        return bool(self._hashes)

    def stream_for(self, key: str) -> str | None:
        """The stream id whose key this is, if any."""
        digest = key_hash(key).encode()
        found = None
        for stream_id, expected in self._hashes.items():
            if hmac.compare_digest(digest, expected.encode()):
                found = stream_id
        return found

    def matches(self, stream_id: str, key: str) -> bool:
        """Whether `key` is the key of `stream_id` (stream ids are public; keys are not)."""
        expected = self._hashes.get(stream_id)
        return expected is not None and hmac.compare_digest(
            key_hash(key).encode(), expected.encode()
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="lpgw-intake-keys",
        description="Print a new stream key and the INTAKE_STREAM_KEYS entry that accepts it.",
    )
    parser.add_argument("stream_id", nargs="?", help="stream id (default: a random one)")
    args = parser.parse_args(argv)
    stream_id = args.stream_id or f"stream-{secrets.token_hex(4)}"
    if not STREAM_ID.match(stream_id):
        parser.error(f"a stream id must match {STREAM_ID.pattern}")
    key = new_key()
    sys.stdout.write(
        f"stream id:  {stream_id}\n"
        f"stream key: {key}   (give it to the publisher; it is stored nowhere)\n"
        f"publish to: rtmp://HOST:1935/live/{key}\n"
        f"INTAKE_STREAM_KEYS='{json.dumps({stream_id: key_hash(key)})}'\n"
    )


if __name__ == "__main__":
    main()
