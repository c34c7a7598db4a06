"""`lpgw-payment-signer`: load settings, unlock the key, serve until SIGTERM."""

import asyncio

from lpgw.service.health import Readiness
from lpgw.service.logs import configure_logging, get_logger
from lpgw.service.observability import setup_tracing
from lpgw.service.runner import run_service, serve_http
from lpgw.service.settings import load_settings
from lpgw.signer.app import create_app
from lpgw.signer.custody import load_key
from lpgw.signer.settings import SignerSettings
from lpgw.signer.signing import SigningService
from lpgw.signer.tokens import load_auth

SERVICE = "payment-signer"
log = get_logger(__name__)


async def serve(stop: asyncio.Event) -> None:
    settings = load_settings(SignerSettings)
    configure_logging(SERVICE, settings.log_level)
    tracing = setup_tracing(SERVICE, settings.otel_exporter_otlp_endpoint)
    try:
        # scrypt takes seconds at full strength: keep the loop (and its signals) responsive.
        key = await asyncio.to_thread(load_key, settings)
        signing = SigningService(key)
        app = create_app(signing, load_auth(settings), Readiness())
        log.info("signer_ready", extra={"address": signing.address, "env": settings.lpgw_env})
        await serve_http(app, settings.http_host, settings.http_port, stop)
    finally:
        if tracing is not None:
            tracing.shutdown()


def main() -> None:
    configure_logging(SERVICE)
    run_service(serve)


if __name__ == "__main__":
    main()
