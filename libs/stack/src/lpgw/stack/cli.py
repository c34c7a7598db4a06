"""`lpgw-stack run`: the whole gateway on one machine; `lpgw-stack demo`: an AI request and a
30 s live stream through it.

`run` starts NATS and Valkey from their pip-installed binaries, the five services and two devnet
orchestrators as supervised children, prints where everything answers (with a development API
key and an RTMP URL with a development stream key, both kept in the data directory), and stops
every child on Ctrl-C or SIGTERM (children also die with the launcher if it is killed outright).
"""

import argparse
import json
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from lpgw.stack.devkeys import API_KEY_FILE, dev_api_key, dev_stream_key, kept_secret
from lpgw.stack.process import StackError, Supervisor
from lpgw.stack.publisher import PublishError, encode_test_pattern, publish
from lpgw.stack.servers import start_nats, start_valkey
from lpgw.stack.settings import StackSettings
from lpgw.stack.topology import DevnetSpec, Gateway, Ports, start_devnet, start_gateway

DEMO_STREAM = "demo"
DEMO_SECONDS = 30
DEMO_REQUEST = {"prompt": "a lighthouse on a cliff at dawn", "width": 512, "height": 512, "seed": 7}
DEMO_CAPABILITY = "demo"
"""The BYOC capability the devnets' built-in demo container registers (routes /echo, /stream,
/sleep, /fail)."""
BYOC_FLAGS = ("--byoc-capability", DEMO_CAPABILITY)


def run(settings: StackSettings) -> int:
    data = settings.data_dir.resolve()
    stop_requested = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with Supervisor(log_dir=data / "logs") as supervisor:
        try:
            gateway = _start(supervisor, settings, data)
        except StackError as exc:
            print(f"lpgw-stack: could not start: {exc}", file=sys.stderr)
            return 1
        _announce(gateway, data, settings)
        while not stop_requested:
            time.sleep(0.5)
        print("\nstopping every process ...", file=sys.stderr)
    return 0


def _start(supervisor: Supervisor, settings: StackSettings, data: Path) -> Gateway:
    nats_url = start_nats(supervisor, data / "nats", port=settings.nats_port)
    redis_url = start_valkey(supervisor, data / "valkey", port=settings.redis_port)
    devnets = [
        DevnetSpec(
            "devnet-a", settings.devnet_a_price, port=settings.devnet_a_port, flags=BYOC_FLAGS
        ),
        DevnetSpec(
            "devnet-b", settings.devnet_b_price, port=settings.devnet_b_port, flags=BYOC_FLAGS
        ),
    ]
    orchestrators = {spec.name: start_devnet(supervisor, spec) for spec in devnets}
    ports = Ports(
        intake=settings.intake_port,
        delivery=settings.delivery_port,
        signer=settings.signer_port,
        selector=settings.selector_port,
        session=settings.session_port,
        rtmp=settings.rtmp_port,
    )
    api_key = dev_api_key(data, redis_url, settings.prefix)
    gateway = start_gateway(
        supervisor,
        nats_url=nats_url,
        redis_url=redis_url,
        prefix=settings.prefix,
        data_dir=data,
        ports=ports,
        orchestrators=list(orchestrators.values()),
        stream_keys={DEMO_STREAM: dev_stream_key(data)},
        api_key=api_key,
    )
    gateway.orchestrators = orchestrators
    return gateway


def _announce(gateway: Gateway, data: Path, settings: StackSettings) -> None:
    lines = [
        "",
        "lpgw is running. Ctrl-C stops every process.",
        f"  AI API (intake)       {gateway.intake_url}",
        f"  API key (dev)         {gateway.api_key}",
        f"                        (kept in {data / API_KEY_FILE}; more with `lpgw-api-keys`)",
        f"  media (delivery)      {gateway.delivery_url}/stream/{{request}}/{{file}}",
        f"  payment-signer        {gateway.signer_url}",
        f"                        (its bearer token is in {gateway.signer_token_file})",
        f"  NATS                  nats://127.0.0.1:{settings.nats_port}",
        f"  Valkey                redis://127.0.0.1:{settings.redis_port}/0",
    ]
    lines += [f"  orchestrator {name:<8} {url}" for name, url in gateway.orchestrators.items()]
    lines += [
        f"  logs                  {data / 'logs'}",
        "",
        "Try it (or run `make demo`):",
        f"  curl -s {gateway.intake_url}/text-to-image -H 'Content-Type: application/json' \\",
        f'       -H "Authorization: Bearer $(cat {data / API_KEY_FILE})" \\',
        f"       -d '{json.dumps(DEMO_REQUEST)}'",
        f"BYOC: capability `{DEMO_CAPABILITY}` (the devnets' demo container), e.g. POST "
        f"{gateway.intake_url}/process/request/echo",
        '  with the `Livepeer` header; README, "The AI API", has the curl line',
        "",
        "Live video: publish with OBS or ffmpeg to (the key is development-only)",
        f"  {gateway.rtmp_url}/{dev_stream_key(data)}",
        f"  e.g. ffmpeg -re -i input.mp4 -c copy -f flv {gateway.rtmp_url}/{dev_stream_key(data)}",
        "and play",
        f"  {gateway.delivery_url}/stream/{DEMO_STREAM}.m3u8   (HLS)",
        f"  {gateway.delivery_url}/stream/{DEMO_STREAM}.mpd    (DASH)",
        f"  status: {gateway.intake_url}/streams/{DEMO_STREAM}",
        "",
    ]
    print("\n".join(lines), flush=True)


def demo(url: str, settings: StackSettings) -> int:
    """An AI request, then a 30 s live test pattern published over RTMP."""
    code = demo_ai(url, kept_secret(settings.data_dir.resolve() / API_KEY_FILE))
    return code or demo_video(url, settings)


def demo_video(url: str, settings: StackSettings) -> int:
    data = settings.data_dir.resolve()
    rtmp = f"rtmp://127.0.0.1:{settings.rtmp_port}/live/{dev_stream_key(data)}"
    playback = f"http://127.0.0.1:{settings.delivery_port}/stream/{DEMO_STREAM}.m3u8"
    with tempfile.TemporaryDirectory() as folder:
        pattern = encode_test_pattern(Path(folder) / "pattern.flv", seconds=DEMO_SECONDS)
        print(f"publishing a {DEMO_SECONDS} s test pattern to {rtmp.rsplit('/', 1)[0]}/<key>")
        print(f"play it now:  {playback}")
        print(f"        or:   ffplay {playback}")
        try:
            publish(rtmp, pattern)
        except PublishError as exc:
            print(f"publishing failed: {exc}; is `make run` running?")
            return 1
    time.sleep(3)  # the last segments are still being transcoded
    try:
        with urllib.request.urlopen(f"{url}/streams/{DEMO_STREAM}", timeout=10) as response:
            status = json.load(response)
    except (urllib.error.URLError, ValueError) as exc:
        print(f"cannot read the stream's status: {exc}")
        return 1
    print(
        f"stream {DEMO_STREAM}: {status.get('segments_in')} segments in, "
        f"{status.get('segments_out')} out, {status.get('gaps')} gaps, "
        f"orchestrator {status.get('orchestrator')}"
    )
    print(
        f"recording:    http://127.0.0.1:{settings.delivery_port}/recordings/{DEMO_STREAM}/index.m3u8"
    )
    return 0


def demo_ai(url: str, api_key: str | None) -> int:
    """Send one text-to-image request (with the development API key `make run` kept) and say
    where the image is and who made it."""
    headers = {"Content-Type": "application/json"}
    if api_key is not None:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(
        f"{url}/text-to-image",
        data=json.dumps(DEMO_REQUEST).encode(),
        headers=headers,
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=130) as response:
            body = json.load(response)
            orchestrator = response.headers.get("X-Orchestrator-Url", "(not reported)")
    except urllib.error.HTTPError as exc:
        print(f"the gateway answered {exc.code}: {exc.read().decode(errors='replace')}")
        if exc.code == 401:
            print("the API key comes from the data directory `make run` uses (STACK_DATA_DIR)")
        return 1
    except urllib.error.URLError as exc:
        print(f"cannot reach the gateway at {url} ({exc.reason}); is `make run` running?")
        return 1
    elapsed = time.monotonic() - started
    for image in body["images"]:
        print(f"image:        {image['url']}  (seed {image['seed']})")
    print(f"orchestrator: {orchestrator}")
    print(f"took:         {elapsed:.2f} s")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="lpgw-stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the whole gateway locally (settings: STACK_* variables)")
    demo_parser = commands.add_parser(
        "demo", help="send a text-to-image request and publish a 30 s live stream"
    )
    demo_parser.add_argument(
        "--url", default=None, help="intake URL (default from STACK_INTAKE_PORT)"
    )
    args = parser.parse_args()
    settings = StackSettings()
    if args.command == "run":
        sys.exit(run(settings))
    sys.exit(demo(args.url or f"http://127.0.0.1:{settings.intake_port}", settings))
