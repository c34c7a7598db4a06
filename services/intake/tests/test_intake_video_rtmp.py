"""RTMP ingest with a real publisher (PyAV's RTMP client, from a thread) into intake's RTMP
server: segments arrive on the bus and their blobs decode; bad input on one connection (wrong
key, garbage bytes, a corrupted tag, no keyframe) leaves another stream untouched."""

import asyncio
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest
from lpgw.bus import Bus
from lpgw.intake.video.keys import key_hash

pytestmark = pytest.mark.integration

GOOD, BAD = "good-key-0123456789", "bad-key-0123456789"
KEYS = {"good": key_hash(GOOD), "bad": key_hash(BAD)}


PUBLISHER = """
import io, sys, time
import av

url, path, speed, corrupt_after_s, keyframes_until_s = sys.argv[1:6]
speed, corrupt, keyframes = float(speed), float(corrupt_after_s), float(keyframes_until_s)
started = time.monotonic()
with (
    av.open(path, "r", format="flv") as source,
    av.open(url, "w", format="flv") as target,
):
    mapping = {s.index: target.add_stream_from_template(s) for s in source.streams}
    for packet in source.demux():
        if packet.dts is None or packet.pts is None:
            continue
        at = float(packet.pts * packet.time_base)
        if speed:
            time.sleep(max(0.0, at / speed - (time.monotonic() - started)))
        video = packet.stream.type == "video"
        if video and keyframes >= 0 and at > keyframes and packet.is_keyframe:
            continue
        if video and corrupt >= 0 and at > corrupt:
            short = av.Packet(bytes(packet)[:12])
            short.pts, short.dts, short.time_base = packet.pts, packet.dts, packet.time_base
            packet = short
        packet.stream = mapping[packet.stream_index]
        target.mux(packet)
"""


async def publish(
    url: str,
    flv: Path,
    speed: float = 0.0,
    corrupt_after_s: float = -1,
    keyframes_until_s: float = -1,
) -> int:
    """Remux the FLV file to `url` with PyAV's RTMP client, in its own process (PyAV holds the
    GIL while it connects, so a thread would stall the server it talks to). Paced at `speed`
    × real time when given; `corrupt_after_s`: later video packets are cut short (truncated
    tag bodies); `keyframes_until_s`: later keyframes are left out. The exit status."""
    args = [url, str(flv), str(speed), str(corrupt_after_s), str(keyframes_until_s)]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PUBLISHER, *args, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        async with asyncio.timeout(60):
            return await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_published_stream_is_cut_stored_and_ended(
    start_intake: Any, media: Any, video_bus: Bus, inputs: Callable[..., Any], tmp_path: Path
) -> None:
    flv = tmp_path / "clip.flv"
    flv.write_bytes(media.encode(seconds=7.0).data)
    async with start_intake(intake_stream_keys=KEYS, intake_reconnect_grace_s=0.5) as intake:
        status = await publish(f"{intake.rtmp_url}/{GOOD}", flv)
        events = await inputs(video_bus, "good", 5)
        sources = [(await intake.video.store.get(e.source.key))[0] for e in events[:4]]
    assert status == 0
    assert [(e.seq, e.ended) for e in events] == [(n, n == 4) for n in range(5)]
    assert [e.duration_ms for e in events[:4]] == [2000, 2000, 2000, 1000]
    frames = []
    for data in sources:
        with av.open(io.BytesIO(data)) as container:
            frames.append(len(list(container.decode(video=0))))
    assert frames == [60, 60, 60, 30]


async def garbage(port: int) -> bytes:
    """Random-looking bytes on the RTMP port; what the server says before closing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"\x16\x03\x01" + bytes(range(256)) * 20)  # a TLS hello, say
    await writer.drain()
    async with asyncio.timeout(15):
        answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("wrong key", id="wrong key"),
        pytest.param("garbage", id="garbage bytes on the port"),
        pytest.param("corrupt", id="truncated tags"),
        pytest.param("no keyframe", id="no keyframe for too long"),
    ],
)
async def test_bad_input_leaves_another_stream_untouched(
    start_intake: Any,
    media: Any,
    video_bus: Bus,
    inputs: Callable[..., Any],
    tmp_path: Path,
    bad: str,
) -> None:
    flv = tmp_path / "clip.flv"
    flv.write_bytes(media.encode(seconds=8.0).data)
    async with start_intake(
        intake_stream_keys=KEYS, intake_max_segment_s=3, intake_reconnect_grace_s=0.5
    ) as intake:
        base = intake.rtmp_url
        good = asyncio.create_task(publish(f"{base}/{GOOD}", flv, 4.0))
        await asyncio.sleep(0.3)
        if bad == "wrong key":
            failure = await publish(f"{base}/not-a-key", flv)
        elif bad == "garbage":
            await garbage(intake.video.rtmp_port)
            failure = 1
        elif bad == "corrupt":
            failure = await publish(f"{base}/{BAD}", flv, 4.0, corrupt_after_s=2.5)
        else:
            failure = await publish(f"{base}/{BAD}", flv, 4.0, keyframes_until_s=0.5)
        assert await good == 0
        events = await inputs(video_bus, "good", 5)
        bad_record = await intake.video.ingest.streams.get("bad")
    if bad == "wrong key":
        assert failure != 0  # the refused client fails; the others may finish writing first
    assert [(e.seq, e.ended) for e in events] == [(n, n == 4) for n in range(5)]
    if bad == "corrupt":
        assert bad_record is not None and bad_record.segments_in == 1  # the first 2 s only
    if bad == "no keyframe":
        assert bad_record is not None and bad_record.segments_in == 0
