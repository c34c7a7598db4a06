"""Serving stored results over HTTP from a real NATS object store."""

import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.delivery.app import create_app
from lpgw.delivery.settings import DeliverySettings

pytestmark = pytest.mark.integration


def tiny_png() -> bytes:
    """A valid 1x1 PNG, so the bytes are what a session would really store."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@asynccontextmanager
async def delivery(
    nats_url: str, prefix: str, redis_url: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    values = {"nats_url": nats_url, "bus_prefix": prefix, "delivery_cache_max_age_s": 600}
    settings = DeliverySettings.model_validate(
        values if redis_url is None else {**values, "redis_url": redis_url}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://delivery") as client:
            yield client


async def media_store(bus: Bus) -> BlobStore:
    return await BlobStore.open(bus.nc, bus.names, ttl_s=60)


async def test_stored_png_is_served_as_stored(bus: Bus, nats_url: str, prefix: str) -> None:
    png = tiny_png()
    await (await media_store(bus)).put("0123456789abcdef/0.png", png, "image/png")
    async with delivery(nats_url, prefix) as client:
        response = await client.get("/stream/0123456789abcdef/0.png")
        head = await client.head("/stream/0123456789abcdef/0.png")
    assert response.status_code == 200
    assert response.content == png
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=600"
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(png))
    assert head.headers["content-type"] == "image/png"


async def test_missing_file_is_a_404(bus: Bus, nats_url: str, prefix: str) -> None:
    await (await media_store(bus)).put("job1/0.png", tiny_png(), "image/png")
    async with delivery(nats_url, prefix) as client:
        response = await client.get("/stream/job1/1.png")
    assert response.status_code == 404
    message = "not found: /stream/job1/1.png"
    assert response.json() == {"error": {"message": message}, "detail": {"msg": message}}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/stream/job1/..%2e", id="encoded parent"),
        pytest.param("/stream/job1/.hidden", id="hidden file"),
        pytest.param("/stream/job%20one/0.png", id="space in request id"),
        pytest.param("/stream/job1/a..png", id="double dot"),
    ],
)
async def test_odd_names_are_refused(bus: Bus, nats_url: str, prefix: str, path: str) -> None:
    async with delivery(nats_url, prefix) as client:
        response = await client.get(path)
    assert response.status_code == 400
    assert "invalid" in response.json()["error"]["message"]


async def test_paths_outside_a_request_directory_do_not_route(
    bus: Bus, nats_url: str, prefix: str
) -> None:
    async with delivery(nats_url, prefix) as client:
        response = await client.get("/stream/job1/sub/0.png")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Not Found"


async def test_health_readiness_and_metrics(
    bus: Bus, nats_url: str, redis_url: str, prefix: str
) -> None:
    async with delivery(nats_url, prefix, redis_url) as client:
        await client.get("/stream/job1/0.png")
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert health.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"nats": "ok", "redis": "ok"}}
    assert 'lpgw_delivery_requests_total{status="404"}' in metrics.text
