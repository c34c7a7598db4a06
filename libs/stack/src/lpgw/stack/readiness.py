"""Ways to tell that a child process is ready to serve: each is a cheap, non-blocking probe."""

import http.client
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

Probe = Callable[[], bool]


def port_open(port: int, host: str = "127.0.0.1") -> Probe:
    """Ready once something accepts TCP connections on host:port."""

    def probe() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    return probe


def http_ok(url: str) -> Probe:
    """Ready once GET `url` answers 200. HTTPS is not verified: local servers use
    self-signed certificates, and this only asks whether they are up."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"

    def probe() -> bool:
        conn = (
            http.client.HTTPSConnection(host, port, timeout=1.0, context=_unverified())
            if secure
            else http.client.HTTPConnection(host, port, timeout=1.0)
        )
        try:
            conn.request("GET", target)
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    return probe


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def log_line(log: Path, matches: Callable[[str], bool]) -> Probe:
    """Ready once a line of the child's log file (its stdout and stderr) satisfies `matches`."""

    def probe() -> bool:
        try:
            text = log.read_text(errors="replace")
        except FileNotFoundError:
            return False
        return any(matches(line) for line in text.splitlines())

    return probe
