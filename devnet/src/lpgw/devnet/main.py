"""`lpgw-devnet`: parse flags, serve, stop cleanly on SIGTERM or SIGINT."""

import asyncio
import json
import signal
import sys
from collections.abc import Sequence

from lpgw.devnet.cli import load_settings
from lpgw.devnet.logs import configure_logging
from lpgw.devnet.server import serve
from lpgw.devnet.settings import DevnetSettings


def announce(event: dict[str, object]) -> None:
    """One JSON line on stdout, flushed, so a supervisor learns the port and address."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def run(settings: DevnetSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, stop, announce)


def main(argv: Sequence[str] | None = None) -> None:
    settings = load_settings(argv)
    configure_logging()
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
