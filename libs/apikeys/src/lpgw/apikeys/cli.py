"""`lpgw-api-keys`: make, revoke, list and show the gateway's API keys.

    lpgw-api-keys create --name alice [--rate-per-minute 120]   # prints the key, once
    lpgw-api-keys list                                          # ids, names, rates, spend
    lpgw-api-keys show KEY_ID
    lpgw-api-keys revoke KEY_ID

Redis is found as the services find it: `REDIS_URL` and `BUS_PREFIX` (or `--redis-url`,
`--prefix`). Nothing but `create` ever prints a key, and nothing prints a stored hash.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from lpgw.apikeys.records import ApiKey, ApiKeyError, Spend, UnknownApiKey
from lpgw.apikeys.store import ApiKeyStore
from lpgw.state import Keys, connect
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.exceptions import RedisError


class CliSettings(BaseSettings):
    """The two service variables this tool needs, with the services' defaults."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    redis_url: str = Field(default="redis://127.0.0.1:6379/0")
    bus_prefix: str = Field(default="lpgw", pattern=r"^[A-Za-z0-9_-]+$")


def _parser(defaults: CliSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lpgw-api-keys", description="Make, revoke, list and show API keys."
    )
    parser.add_argument(
        "--redis-url",
        default=defaults.redis_url,
        help="default: REDIS_URL, else redis://127.0.0.1:6379/0",
    )
    parser.add_argument(
        "--prefix", default=defaults.bus_prefix, help="key prefix; default: BUS_PREFIX or lpgw"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="make a key and print it (only this once)")
    create.add_argument("--name", required=True, help="who or what the key is for")
    create.add_argument(
        "--rate-per-minute",
        type=int,
        default=None,
        help="requests per minute (0: unlimited; default: the gateway's setting)",
    )
    commands.add_parser("list", help="every key with its spend (never secrets)")
    for name, text in (("show", "one key with its spend"), ("revoke", "revoke a key for good")):
        command = commands.add_parser(name, help=text)
        command.add_argument("key_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser(CliSettings()).parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except (RedisError, OSError) as exc:
        sys.stderr.write(f"cannot reach Redis at {_where(args.redis_url)}: {type(exc).__name__}\n")
        return 2


async def _run(args: argparse.Namespace) -> int:
    redis = await connect(args.redis_url)
    try:
        store = ApiKeyStore(redis, Keys(args.prefix))
        match args.command:
            case "create":
                return await _create(store, args.name, args.rate_per_minute)
            case "list":
                return await _list(store)
            case "show":
                return await _show(store, args.key_id)
            case _:
                return await _revoke(store, args.key_id)
    finally:
        await redis.aclose()


async def _create(store: ApiKeyStore, name: str, rate: int | None) -> int:
    try:
        record, key = await store.create(name, rate)
    except ApiKeyError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(
        f"key id:  {record.key_id}\n"
        f"name:    {record.name}\n"
        f"rate:    {_rate(record)}\n"
        f"API key: {key.get_secret_value()}\n"
        "This is the only time the key is shown (only its SHA-256 is stored).\n"
        "Send it as `Authorization: Bearer <key>`.\n"
    )
    return 0


async def _list(store: ApiKeyStore) -> int:
    rows = [("id", "name", "created", "revoked", "rate", "spend wei", "payments")]
    for record in await store.list():
        spend = await store.spend(record.key_id)
        rows.append(
            (
                record.key_id,
                record.name,
                _when(record.created),
                _when(record.revoked) if record.revoked else "-",
                _rate(record),
                str(spend.wei),
                str(spend.payments),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        sys.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        sys.stdout.write("\n")
    return 0


async def _show(store: ApiKeyStore, key_id: str) -> int:
    record = await store.get(key_id)
    if record is None:
        sys.stderr.write(f"{UnknownApiKey(key_id)}\n")
        return 1
    spend: Spend = await store.spend(key_id)
    sys.stdout.write(
        f"key id:    {record.key_id}\n"
        f"name:      {record.name}\n"
        f"created:   {_when(record.created)}\n"
        f"revoked:   {_when(record.revoked) if record.revoked else 'no'}\n"
        f"rate:      {_rate(record)}\n"
        f"spend wei: {spend.wei}\n"
        f"payments:  {spend.payments}\n"
    )
    return 0


async def _revoke(store: ApiKeyStore, key_id: str) -> int:
    try:
        revoked = await store.revoke(key_id)
    except UnknownApiKey as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(f"{key_id} {'revoked' if revoked else 'was already revoked'}\n")
    return 0


def _rate(record: ApiKey) -> str:
    if record.rate_per_minute is None:
        return "default"
    return "unlimited" if record.rate_per_minute == 0 else f"{record.rate_per_minute}/min"


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _where(url: str) -> str:
    """Host and port only: a Redis URL may hold a password."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or 6379}"


if __name__ == "__main__":
    sys.exit(main())
