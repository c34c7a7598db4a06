"""Live video end to end: a real publisher (PyAV over RTMP) into intake, devnet orchestrators
transcoding (or passing through), delivery's playlists read back and every segment decoded.

While a stream runs, orchestrators stop, the session worker that owns the stream and intake are
SIGKILLed, and bad input arrives beside it; the playlists must still hold every segment."""

import io
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import pytest
from lpgw.stack.process import Supervisor
from lpgw.stack.publisher import PublishError, encode_test_pattern, publish
from lpgw.stack.topology import DevnetSpec, Gateway, script

StartGateway = Callable[..., Gateway]

pytestmark = pytest.mark.integration

KEY = "e2e-key-0123456789"
OTHER_KEY = "e2e-key-abcdefghij"
PASSTHROUGH = ("--transcode-mode", "passthrough")
PROFILES = {"P240p30fps16x9": (426, 240), "P360p30fps16x9": (640, 360)}


@dataclass(frozen=True)
class Entry:
    seq: int
    uri: str
    duration: float
    discontinuity: bool


def playlist(url: str) -> tuple[list[Entry], list[str]]:
    """(segments, all lines) of a media playlist."""
    text = httpx.get(url, timeout=10).raise_for_status().text
    lines = text.splitlines()
    entries: list[Entry] = []
    sequence = 0
    duration, discontinuity = 0.0, False
    for line in lines:
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":")[1])
        elif line.startswith("#EXTINF:"):
            duration = float(line.split(":")[1].rstrip(","))
        elif line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line and not line.startswith("#"):
            entries.append(Entry(sequence + len(entries), line, duration, discontinuity))
            discontinuity = False
    return entries, lines


def segment_facts(data: bytes) -> tuple[int, int, int, float]:
    """(width, height, decoded frames, seconds) of one MPEG-TS segment."""
    with av.open(io.BytesIO(data), format="mpegts") as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
    first, last = frames[0], frames[-1]
    assert first.time is not None and last.time is not None
    return first.width, first.height, len(frames), last.time - first.time


def recording(delivery: str, stream: str, rendition: str) -> list[Entry]:
    return playlist(f"{delivery}/recordings/{stream}/{rendition}.m3u8")[0]


def status(gateway: Gateway, stream: str) -> dict[str, object]:
    response = httpx.get(f"{gateway.intake_url}/streams/{stream}", timeout=10)
    response.raise_for_status()
    body: dict[str, object] = response.json()
    return body


def wait_for(condition: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def ended(gateway: Gateway, stream: str) -> bool:
    return status(gateway, stream).get("state") == "ended"


@pytest.fixture(scope="module")
def patterns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("patterns")
    return {
        "long": encode_test_pattern(folder / "long.flv", seconds=20),
        "medium": encode_test_pattern(folder / "medium.flv", seconds=14),
        "short": encode_test_pattern(folder / "short.flv", seconds=8),
        "no_keyframes": encode_test_pattern(
            folder / "nokey.flv", seconds=12, keyframes=False, width=320, height=180
        ),
    }


class Publisher:
    """A publisher in a thread; `join` re-raises what it raised."""

    def __init__(self, url: str, flv: Path, **options: object) -> None:
        self.error: BaseException | None = None
        self.sent = 0.0
        self._thread = threading.Thread(target=self._run, args=(url, flv, options), daemon=True)
        self._thread.start()

    def _run(self, url: str, flv: Path, options: dict[str, object]) -> None:
        try:
            self.sent = publish(url, flv, **options)  # type: ignore[arg-type]
        except BaseException as exc:
            self.error = exc

    def join(self, timeout: float = 90) -> "Publisher":
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the publisher did not finish"
        return self


def video_overrides(**intake: str) -> dict[str, dict[str, str]]:
    """Short timers so streams end and fail over quickly in tests."""
    return {
        "intake": {"INTAKE_RECONNECT_GRACE_S": "3", **intake},
        "session": {"SESSION_VIDEO_LEASE_S": "2"},
    }


def assert_complete(gateway: Gateway, stream: str, renditions: list[str]) -> int:
    """Every rendition's recording holds every segment, in order, with no gap; returns how
    many segments there were."""
    facts = status(gateway, stream)
    assert facts["gaps"] == 0, facts
    count = int(str(facts["segments_in"]))
    assert count > 0
    for rendition in renditions:
        seqs = [e.seq for e in recording(gateway.delivery_url, stream, rendition)]
        assert seqs == list(range(count)), (rendition, seqs)
    return count


def test_a_published_stream_plays_in_every_rendition(
    start: StartGateway, patterns: dict[str, Path]
) -> None:
    gateway = start(
        [DevnetSpec("orch", price=1)],
        overrides=video_overrides(),
        stream_keys={"live1": KEY},
    )
    publisher = Publisher(f"{gateway.rtmp_url}/{KEY}", patterns["long"])

    def segments_in_master() -> bool:
        response = httpx.get(f"{gateway.delivery_url}/stream/live1.m3u8", timeout=5)
        return response.status_code == 200 and "P360p30fps16x9" in response.text

    wait_for(segments_in_master, within_s=20, what="the master playlist")
    assert publisher.join().error is None
    wait_for(lambda: ended(gateway, "live1"), within_s=30, what="the end of the stream")

    master = httpx.get(f"{gateway.delivery_url}/stream/live1.m3u8", timeout=5).text
    for name in [*PROFILES, "source"]:
        assert f"live1/{name}.m3u8" in master
    count = assert_complete(gateway, "live1", [*PROFILES, "source"])
    source_seconds = 0.0
    for name in ["source", *PROFILES]:
        entries = recording(gateway.delivery_url, "live1", name)
        base = f"{gateway.delivery_url}/recordings/live1/"
        total = 0.0
        for entry in entries:
            data = httpx.get(base + entry.uri, timeout=10).raise_for_status().content
            width, height, frames, _ = segment_facts(data)
            assert frames > 0
            if name in PROFILES:
                assert (width, height) == PROFILES[name]
            total += entry.duration
        if name == "source":
            source_seconds = total
        else:
            assert abs(total - source_seconds) <= 2.5, (name, total, source_seconds)
    assert abs(source_seconds - 20) <= 2.5 and count >= 8
    _, lines = playlist(f"{gateway.delivery_url}/recordings/live1/P240p30fps16x9.m3u8")
    assert lines[-1] == "#EXT-X-ENDLIST"


def test_an_orchestrator_that_stops_mid_stream_loses_no_segment(
    start: StartGateway, processes: Supervisor, patterns: dict[str, Path]
) -> None:
    gateway = start(
        [
            DevnetSpec("cheap", price=1, flags=PASSTHROUGH),
            DevnetSpec("dear", price=2, flags=PASSTHROUGH),
        ],
        overrides=video_overrides(),
        stream_keys={"fo": KEY},
    )
    publisher = Publisher(f"{gateway.rtmp_url}/{KEY}", patterns["medium"])
    wait_for(lambda: int(str(status(gateway, "fo")["segments_out"])) >= 2, 20, "two segments")
    working = str(status(gateway, "fo")["orchestrator"])
    name = next(n for n, url in gateway.orchestrators.items() if url == working)
    processes.stop(name)
    assert publisher.join().error is None
    wait_for(lambda: ended(gateway, "fo"), within_s=30, what="the end of the stream")
    assert_complete(gateway, "fo", [*PROFILES, "source"])
    assert status(gateway, "fo")["orchestrator"] != working


def test_a_killed_session_worker_is_replaced_without_losing_a_segment(
    start: StartGateway, processes: Supervisor, patterns: dict[str, Path]
) -> None:
    gateway = start(
        [DevnetSpec("orch", price=1, flags=PASSTHROUGH)],
        overrides=video_overrides(),
        stream_keys={"sk": KEY},
    )
    publisher = Publisher(f"{gateway.rtmp_url}/{KEY}", patterns["medium"])
    wait_for(lambda: int(str(status(gateway, "sk")["segments_out"])) >= 2, 20, "two segments")
    owner = str(status(gateway, "sk")["worker"])
    assert processes.child("session").pid is not None
    assert f"-{processes.child('session').pid}-" in owner
    env = dict(processes.child("session").env or {})
    processes.kill("session")
    processes.start("session-2", [script("lpgw-session")], env={**env, "HTTP_PORT": "0"})
    assert publisher.join().error is None
    wait_for(lambda: ended(gateway, "sk"), within_s=40, what="the end of the stream")
    assert_complete(gateway, "sk", [*PROFILES, "source"])
    assert status(gateway, "sk")["worker"] != owner


def test_a_killed_intake_resumes_with_a_discontinuity_when_the_publisher_reconnects(
    start: StartGateway, processes: Supervisor, patterns: dict[str, Path]
) -> None:
    gateway = start(
        [DevnetSpec("orch", price=1, flags=PASSTHROUGH)],
        overrides=video_overrides(INTAKE_RECONNECT_GRACE_S="30"),
        stream_keys={"ik": KEY},
    )
    first = Publisher(f"{gateway.rtmp_url}/{KEY}", patterns["medium"])
    wait_for(lambda: int(str(status(gateway, "ik")["segments_out"])) >= 2, 20, "two segments")
    processes.kill("intake")
    first.join()
    assert isinstance(first.error, PublishError)
    before = recording(gateway.delivery_url, "ik", "source")
    processes.restart("intake")
    second = Publisher(f"{gateway.rtmp_url}/{KEY}", patterns["short"])
    assert second.join().error is None
    wait_for(lambda: ended(gateway, "ik"), within_s=60, what="the end of the stream")
    after = recording(gateway.delivery_url, "ik", "source")
    resumed = [e for e in after if e.seq > before[-1].seq]
    assert resumed and resumed[0].discontinuity
    assert not any(e.discontinuity for e in resumed[1:])
    assert sum(e.duration for e in resumed) >= 8 - 2.5  # nothing after the reconnection lost
    assert [e.seq for e in after] == list(range(len(after)))
    assert status(gateway, "ik")["gaps"] == 0


def test_bad_input_leaves_a_running_stream_untouched(
    start: StartGateway, patterns: dict[str, Path]
) -> None:
    gateway = start(
        [DevnetSpec("orch", price=1, flags=PASSTHROUGH)],
        overrides=video_overrides(INTAKE_MAX_SEGMENT_S="5", INTAKE_PUSH_MAX_BYTES="1000000"),
        stream_keys={"good": KEY, "bad": OTHER_KEY},
    )
    good = Publisher(f"{gateway.rtmp_url}/{KEY}", patterns["long"])
    wait_for(lambda: int(str(status(gateway, "good")["segments_out"])) >= 1, 20, "a segment")
    host, port = gateway.rtmp_url.removeprefix("rtmp://").split("/")[0].split(":")

    with socket.create_connection((host, int(port)), timeout=5) as garbage:
        garbage.sendall(b"\x03" + bytes(range(256)) * 8 + b"GET / HTTP/1.1\r\n\r\n")
        garbage.settimeout(5)
        with pytest.raises((ConnectionError, TimeoutError, OSError)):
            while garbage.recv(4096):
                pass
            raise ConnectionResetError("closed")

    wrong = Publisher(f"{gateway.rtmp_url}/not-a-key", patterns["short"]).join()
    assert isinstance(wrong.error, PublishError)

    truncated = Publisher(f"{gateway.rtmp_url}/{OTHER_KEY}", patterns["short"], truncate_after_s=3)
    truncated.join()

    no_keyframes = Publisher(f"{gateway.rtmp_url}/{OTHER_KEY}", patterns["no_keyframes"]).join()
    assert no_keyframes.sent < 12 or no_keyframes.error is not None

    pusher = {"Authorization": f"Bearer {OTHER_KEY}"}
    garbage_ts = httpx.put(
        f"{gateway.intake_url}/live/bad/0.ts",
        content=b"not a transport stream" * 100,
        headers=pusher,
    )
    assert garbage_ts.status_code == 422, garbage_ts.text
    too_big = httpx.put(
        f"{gateway.intake_url}/live/bad/1.ts", content=b"\x47" + bytes(1_200_000), headers=pusher
    )
    assert too_big.status_code == 413, too_big.text

    assert good.join().error is None
    wait_for(lambda: ended(gateway, "good"), within_s=30, what="the end of the good stream")
    assert_complete(gateway, "good", [*PROFILES, "source"])
