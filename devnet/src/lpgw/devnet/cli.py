"""Command-line flags mirroring DevnetSettings; a given flag overrides the environment."""

import argparse
from collections.abc import Sequence
from typing import Any

from lpgw.devnet.settings import DevnetSettings


def _model_price(text: str) -> tuple[str, str]:
    model, sep, price = text.rpartition("=")
    if not sep or not model:
        raise argparse.ArgumentTypeError("expected MODEL=WEI")
    return model, price


def _pipeline_models(text: str) -> tuple[str, list[str]]:
    pipeline, sep, models = text.partition("=")
    names = [model.strip() for model in models.split(",") if model.strip()]
    if not sep or not pipeline or not names:
        raise argparse.ArgumentTypeError("expected PIPELINE=MODEL[,MODEL...]")
    return pipeline, names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lpgw-devnet",
        description=(
            "A test Livepeer orchestrator serving transcoding, every batch AI pipeline and "
            "BYOC (gRPC + HTTP, one port)."
        ),
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("--host", help="listen address (DEVNET_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port, 0 = free port (DEVNET_PORT, 8950)")
    p.add_argument("--service-host", help="host in the service URI (DEVNET_SERVICE_HOST)")
    p.add_argument("--plain", action="store_true", help="http:// service URI, h2c + HTTP/1.1")
    p.add_argument("--models", help="comma-separated text-to-image models (DEVNET_MODELS)")
    p.add_argument(
        "--pipeline-models",
        type=_pipeline_models,
        action="append",
        metavar="PIPELINE=MODEL[,MODEL...]",
        help="models of one AI pipeline, repeatable (DEVNET_PIPELINE_MODELS as a JSON object)",
    )
    p.add_argument("--price", help="wei per pixels-per-unit units, every model (DEVNET_PRICE)")
    p.add_argument("--pixels-per-unit", type=int, help="price denominator (DEVNET_PIXELS_PER_UNIT)")
    p.add_argument(
        "--model-price",
        type=_model_price,
        action="append",
        metavar="MODEL=WEI",
        help="price of one model, repeatable (DEVNET_MODEL_PRICES as a JSON object)",
    )
    p.add_argument(
        "--transcoding-price",
        "--transcode-price",
        dest="transcoding_price",
        help="wei per pixels-per-unit pixels; also the price without capabilities",
    )
    p.add_argument(
        "--transcode-mode",
        choices=["x264", "passthrough"],
        help="x264 (default) or passthrough: the input as every rendition",
    )
    p.add_argument("--x264-preset", help="libx264 preset (DEVNET_X264_PRESET, veryfast)")
    p.add_argument("--transcode-workers", type=int, help="transcoding threads (CPU count)")
    p.add_argument("--max-sessions", type=int, help="concurrent transcoding sessions (10)")
    p.add_argument(
        "--transcode-session-idle-s", type=float, help="idle seconds ending a session (60)"
    )
    p.add_argument("--latency-ms", type=int, help="added latency per job (DEVNET_LATENCY_MS)")
    p.add_argument("--failure-rate", type=float, help="0..1 share of jobs and segments failing")
    p.add_argument("--failure-seed", type=int, help="seed of the failure RNG")
    p.add_argument(
        "--segment-failure-kind",
        choices=["result", "http", "alternate"],
        help="injected segment failure as a TranscodeResult error, HTTP 500, or in turn",
    )
    p.add_argument(
        "--capacity", type=int, help="concurrent jobs per pipeline and model (DEVNET_CAPACITY, 4)"
    )
    p.add_argument("--llm-token-delay-ms", type=int, help="pause between streamed /llm tokens (20)")
    p.add_argument("--key-hex", help="orchestrator key hex; prefer DEVNET_KEY_HEX (ps shows argv)")
    p.add_argument("--max-image-side", type=int, help="largest width/height (2048)")
    p.add_argument(
        "--payments",
        action=argparse.BooleanOptionalAction,
        help="issue ticket params and require payment (DEVNET_PAYMENTS, default on)",
    )
    p.add_argument("--ticket-ev", type=int, help="wei per ticket (DEVNET_TICKET_EV, 1e9)")
    p.add_argument("--face-value-multiplier", type=int, help="win prob ~ 1/this (default 100)")
    p.add_argument("--redeem-gas", type=int, help="gas of a redemption (350000)")
    p.add_argument("--gas-price", type=int, help="wei; default ticket EV / redeem gas")
    p.add_argument("--max-face-value", type=int, help="face value cap in wei (0 = none)")
    p.add_argument("--sender-deposit", type=int, help="every sender's deposit in wei (1e18)")
    p.add_argument("--sender-reserve", type=int, help="every sender's reserve in wei (1e18)")
    p.add_argument("--block-time-s", type=float, help="seconds per devnet L1 block (12)")
    p.add_argument(
        "--orch-secret", help="secret of /capability/register (DEVNET_ORCH_SECRET; unset: refused)"
    )
    p.add_argument(
        "--byoc-capability",
        action="append",
        metavar="NAME",
        help="a BYOC capability the built-in demo worker serves, repeatable",
    )
    p.add_argument("--byoc-price", help="demo capabilities' price, wei per second (1000)")
    p.add_argument("--byoc-capacity", type=int, help="concurrent jobs per demo capability (4)")
    p.add_argument("--byoc-worker-token", help="bearer token the demo worker requires")
    p.add_argument("--byoc-token-delay-ms", type=int, help="pause between demo stream tokens (20)")
    p.add_argument(
        "--byoc-debit-interval-ms",
        type=int,
        help="streamed BYOC answers are debited 5 s of price this often (5000)",
    )
    return p


def load_settings(argv: Sequence[str] | None = None) -> DevnetSettings:
    """Environment first, then the flags given on the command line."""
    overrides: dict[str, Any] = vars(parser().parse_args(argv))
    pairs = overrides.pop("model_price", None)
    if pairs is not None:
        overrides["model_prices"] = dict(pairs)
    listed = overrides.pop("pipeline_models", None)
    if listed is not None:
        overrides["pipeline_models"] = dict(listed)
    names = overrides.pop("byoc_capability", None)
    if names is not None:
        overrides["byoc_capabilities"] = ",".join(names)
    return DevnetSettings(**overrides)
