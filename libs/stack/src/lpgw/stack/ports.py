"""Free TCP ports for servers started by tests and the local stack (never fixed ports)."""

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS just reported free on `host`. Another process may take it before we
    bind it again; servers started with it fail fast and loudly if that happens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
