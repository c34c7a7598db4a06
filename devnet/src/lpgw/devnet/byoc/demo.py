"""The built-in demo worker beside the devnet: its own listener on a free loopback port, served
by hypercorn in the devnet's process, and registered for each `--byoc-capability` before the
devnet announces itself, so the first token a gateway fetches already has capacity."""

import asyncio
import logging
import socket
from dataclasses import dataclass, field
from typing import cast

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import ASGIFramework
from lpgw.devnet.byoc.registry import CapabilityRegistry, Registration
from lpgw.devnet.byoc.worker import worker_app
from lpgw.devnet.settings import DevnetSettings

HOST = "127.0.0.1"


@dataclass
class DemoWorker:
    listener: socket.socket
    url: str
    token: str | None = field(repr=False)
    token_delay_s: float

    @classmethod
    def bind(cls, settings: DevnetSettings) -> "DemoWorker | None":
        """A worker when capabilities are configured, else None."""
        if not settings.byoc_capabilities:
            return None
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((HOST, 0))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        token = settings.byoc_worker_token
        return cls(
            listener=listener,
            url=f"http://{HOST}:{listener.getsockname()[1]}",
            token=None if token is None else token.get_secret_value(),
            token_delay_s=settings.byoc_token_delay_ms / 1000,
        )

    def register(self, registry: CapabilityRegistry, settings: DevnetSettings) -> None:
        for name in settings.byoc_capabilities:
            registry.register(
                Registration(
                    name=name,
                    url=self.url,
                    capacity=settings.byoc_capacity,
                    price=settings.byoc_price_per_second,
                    token=self.token,
                    description="lpgw-devnet demo worker",
                )
            )

    async def serve(self, stop: asyncio.Event) -> None:
        config = Config()
        config.bind = [f"fd://{self.listener.detach()}"]
        config.accesslog = None
        config.errorlog = logging.getLogger("hypercorn.error")
        app = worker_app(self.token, self.token_delay_s)
        # Starlette's ASGI types and hypercorn's describe the same protocol in different words.
        await serve(cast(ASGIFramework, app), config, shutdown_trigger=stop.wait)
