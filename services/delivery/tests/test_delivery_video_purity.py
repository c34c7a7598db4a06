"""Playlist, manifest and range logic is pure: importing it loads no media, network or web
library, so it can be tested (and reasoned about) as data in, text out."""

import subprocess
import sys

PURE = [
    "lpgw.delivery.video.timeline",
    "lpgw.delivery.video.lineup",
    "lpgw.delivery.video.hls",
    "lpgw.delivery.video.mpd",
    "lpgw.delivery.video.ranges",
    "lpgw.delivery.video.boxes",
    "lpgw.video.adts",
]
FORBIDDEN = ["av", "redis", "nats", "starlette", "httpx", "anyio"]


def test_pure_modules_import_no_io_library() -> None:
    script = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in PURE)
        + f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
