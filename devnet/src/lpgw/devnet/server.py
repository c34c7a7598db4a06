"""Binding, TLS and hypercorn: one listener for gRPC (HTTP/2) and HTTP/1.1 + HTTP/2 routes.

The socket is bound before anything else so `--port 0` knows its port in time to put it in
the service URI and the certificate. hypercorn then serves it through `fd://`.
"""

import asyncio
import datetime
import logging
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import cast

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config
from hypercorn.typing import ASGIFramework
from lpgw.devnet import certificates
from lpgw.devnet.byoc.demo import DemoWorker
from lpgw.devnet.grpc_unary import GrpcApp
from lpgw.devnet.http_app import http_app
from lpgw.devnet.multiplexer import Multiplexer
from lpgw.devnet.node import build_node, node_key
from lpgw.devnet.orchestrator_service import OrchestratorService
from lpgw.devnet.settings import DevnetSettings

IDLE_TIMEOUT_S = 600
Announce = Callable[[dict[str, object]], None]


def service_uri(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def bind_listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1024)
    except OSError:
        listener.close()
        raise
    return listener


def _config(listener: socket.socket, tls: certificates.CertificateFiles | None) -> Config:
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]
    config.keep_alive_timeout = IDLE_TIMEOUT_S
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")  # JSON lines via the root handler
    if tls is not None:
        config.certfile = str(tls.certfile)
        config.keyfile = str(tls.keyfile)
    return config


async def serve(settings: DevnetSettings, stop: asyncio.Event, announce: Announce) -> None:
    """Serve until `stop` is set; `announce` gets the ready event once the port is listening."""
    listener = bind_listener(settings.host, settings.port)
    port = int(listener.getsockname()[1])
    uri = service_uri("http" if settings.plain else "https", settings.uri_host, port)
    node = build_node(settings, uri, node_key(settings))
    worker = DemoWorker.bind(settings)
    if worker is not None:
        worker.register(node.byoc, settings)
    app = Multiplexer(GrpcApp(OrchestratorService(node).methods()), http_app(node))
    with tempfile.TemporaryDirectory(prefix="lpgw-devnet-") as directory:
        tls = None
        if not settings.plain:
            now = datetime.datetime.now(datetime.UTC)
            certificate_pem, key_pem = certificates.self_signed(settings.uri_host, now)
            tls = certificates.write(Path(directory), certificate_pem, key_pem)
        config = _config(listener, tls)
        ready: dict[str, object] = {
            "event": "devnet_ready",
            "url": uri,
            "address": node.key.checksum_address,
            "port": port,
            "payments": node.payments is not None,
        }
        if worker is not None:
            ready["byoc_worker"] = worker.url
        announce(ready)
        # Starlette's ASGI types and hypercorn's describe the same protocol in different words.
        served = [hypercorn_serve(cast(ASGIFramework, app), config, shutdown_trigger=stop.wait)]
        if worker is not None:
            served.append(worker.serve(stop))
        try:
            await asyncio.gather(*served)
        finally:
            node.transcoding.close()
