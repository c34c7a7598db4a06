"""Media blobs: stored bytes come back with their content type; missing keys are typed errors."""

import hashlib

import pytest
from lpgw.blobs import BlobNotFound, BlobStore, StoredBlob
from lpgw.bus import Bus

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 700
VIDEO = bytes(range(256)) * 24576  # 6 MiB: past one NATS message (4 MiB), so chunked


async def open_store(bus: Bus) -> BlobStore:
    return await BlobStore.open(bus.nc, bus.names, ttl_s=3600)


async def test_put_then_get_returns_bytes_and_content_type(bus: Bus) -> None:
    store = await open_store(bus)
    stored = await store.put("abcd1234/0.png", PNG, "image/png")
    assert stored == StoredBlob(
        key="abcd1234/0.png",
        content_type="image/png",
        size=len(PNG),
        sha256=hashlib.sha256(PNG).hexdigest(),
    )
    assert await store.get("abcd1234/0.png") == (PNG, "image/png")


async def test_reopening_the_bucket_sees_the_same_blobs(bus: Bus) -> None:
    await (await open_store(bus)).put("job/1.mp4", b"video", "video/mp4")
    assert await (await open_store(bus)).get("job/1.mp4") == (b"video", "video/mp4")


async def test_put_again_replaces_the_blob(bus: Bus) -> None:
    store = await open_store(bus)
    await store.put("job/a.json", b"{}", "application/json")
    await store.put("job/a.json", b"[]", "application/json; charset=utf-8")
    assert await store.get("job/a.json") == (b"[]", "application/json; charset=utf-8")


async def test_empty_blob_round_trips(bus: Bus) -> None:
    store = await open_store(bus)
    await store.put("job/empty.txt", b"", "text/plain")
    assert await store.get("job/empty.txt") == (b"", "text/plain")


async def test_missing_key_is_blob_not_found(bus: Bus) -> None:
    store = await open_store(bus)
    with pytest.raises(BlobNotFound):
        await store.get("nope/0.png")


async def test_a_file_larger_than_one_message_round_trips(bus: Bus) -> None:
    store = await open_store(bus)
    assert len(VIDEO) > store.inline_limit
    stored = await store.put("job/0.mp4", VIDEO, "video/mp4")
    assert stored.size == len(VIDEO)
    assert await store.get("job/0.mp4") == (VIDEO, "video/mp4")
    assert await store.get("job/0.mp4") == (VIDEO, "video/mp4")


async def test_the_last_put_wins_across_small_and_large(bus: Bus) -> None:
    store = await open_store(bus)
    await store.put("job/x", VIDEO, "video/mp4")
    await store.put("job/x", PNG, "image/png")
    assert await store.get("job/x") == (PNG, "image/png")
    await store.put("job/x", VIDEO, "video/webm")
    assert await store.get("job/x") == (VIDEO, "video/webm")


async def test_a_small_file_is_one_message_and_no_object(bus: Bus) -> None:
    store = await open_store(bus)
    await store.put("job/0.png", PNG, "image/png")
    media = await bus.js.stream_info(bus.names.media_stream)
    objects = await bus.js.stream_info(f"OBJ_{bus.names.media_bucket}")
    assert (media.state.messages, objects.state.messages) == (1, 0)


async def test_both_stores_expire_blobs_after_the_ttl(bus: Bus) -> None:
    await open_store(bus)
    media = await bus.js.stream_info(bus.names.media_stream)
    objects = await bus.js.stream_info(f"OBJ_{bus.names.media_bucket}")
    assert media.config.max_age == objects.config.max_age == 3600
