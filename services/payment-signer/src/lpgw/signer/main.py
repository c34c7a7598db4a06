"""`lpgw-payment-signer`: load settings, unlock the key, connect, serve until SIGTERM."""

import asyncio

import httpx
from lpgw.bus import Names, connect_until_stopped
from lpgw.service.logs import configure_logging, get_logger
from lpgw.service.observability import observed
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings
from lpgw.signer.api.tokens import load_auth
from lpgw.signer.assembly import build_app
from lpgw.signer.keys.custody import load_key
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.settings import SignerSettings
from lpgw.state import connect

SERVICE = "payment-signer"
log = get_logger(__name__)


async def serve(stop: asyncio.Event) -> None:
    settings = load_settings(SignerSettings)
    with observed(SERVICE, settings):
        # scrypt takes seconds at full strength: keep the loop (and its signals) responsive.
        key = await asyncio.to_thread(load_key, settings)
        signing = SigningService(key)
        auth = load_auth(settings)
        redis = await connect(settings.redis_url)
        bus = await connect_until_stopped(
            settings.nats_url, Names(settings.bus_prefix), client_name=SERVICE, stop=stop
        )
        if bus is None:
            return
        try:
            async with httpx.AsyncClient() as http:
                app = build_app(settings, signing, auth, redis=redis, bus=bus, http=http)
                log.info(
                    "signer_ready", extra={"address": signing.address, "env": settings.lpgw_env}
                )
                await serve_http(app, settings.http_host, settings.http_port, stop)
        finally:
            await bus.close()
            await redis.aclose()


def main() -> None:
    configure_logging(SERVICE)
    run_service(serve)


if __name__ == "__main__":
    main()
