"""Fees per workload (payments.md §8): billable units × price, as exact rationals.

Functions return units; `Price.fee(units)` turns them into wei. The gateway's estimate and the
orchestrator's debit must use the same units or the two balances drift apart, so where the
reference gateway and orchestrator disagree (text-to-speech) we use the orchestrator's.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm.price import Price

#: The reference's 1.02 over-estimate for transcoding, as the exact binary64 value it uses.
TRANSCODE_ESTIMATE_MULTIPLIER = Fraction(1.02)
#: Frame rate assumed for pass-through profiles (fps 0).
PASSTHROUGH_FPS = 60

#: Live video AI bills a fixed 720p30 stream regardless of the real one.
LIVE_UNITS_PER_SECOND = 1280 * 720 * 30
LIVE_START_SECONDS = 60
LIVE_PAYMENT_INTERVAL_SECONDS = 5

#: BYOC: no payment while the local balance covers this many seconds; the orchestrator
#: requires a balance of BYOC_MIN_BALANCE_SECONDS before it starts a job.
BYOC_PREPAID_SECONDS = 120
BYOC_MIN_BALANCE_SECONDS = 60
BYOC_MAX_TICKETS = 600


@dataclass(frozen=True)
class Profile:
    """A transcoding output: resolution and frame rate (fps / fps_den; 0 means defaults)."""

    width: int
    height: int
    fps: int = 0
    fps_den: int = 0


def transcode_estimated_pixels(profiles: Iterable[Profile], duration_s: Fraction | int) -> int:
    """Σ w × h × ceil(fps) × ceil(duration): always an over-estimate."""
    seconds = math.ceil(duration_s)
    total = 0
    for profile in profiles:
        fps = Fraction(profile.fps or PASSTHROUGH_FPS, profile.fps_den or 1)
        total += profile.width * profile.height * math.ceil(fps) * seconds
    return total


def transcode_fee_estimate(
    profiles: Iterable[Profile], duration_s: Fraction | int, price: Price
) -> Fraction:
    """What the gateway pre-pays for a segment: estimated pixels × 1.02 × price."""
    pixels = transcode_estimated_pixels(profiles, duration_s)
    return price.fee(pixels * TRANSCODE_ESTIMATE_MULTIPLIER)


def transcode_fee(rendition_pixels: Iterable[int], price: Price) -> Fraction:
    """What the orchestrator debits: pixels of the produced renditions × price."""
    return price.fee(sum(rendition_pixels))


# --- batch AI: units per pipeline (ai-api.md §3.11) ---------------------------------------


def text_to_image_units(height: int = 512, width: int = 512, num_images: int = 1) -> int:
    return height * width * num_images


def image_to_image_units(height: int, width: int, num_images: int = 1) -> int:
    """Input image size × images per prompt."""
    return height * width * num_images


def image_to_video_units(height: int = 576, width: int = 1024) -> int:
    return height * width * 25


def image_units(height: int, width: int) -> int:
    """upscale, segment-anything-2 and image-to-text: the input image size."""
    return height * width


def audio_to_text_units(duration_s: int) -> int:
    """Whole seconds of audio, in milliseconds."""
    return duration_s * 1000


def llm_units(max_tokens: int = 256) -> int:
    return max_tokens


def text_to_speech_units(text: str) -> int:
    """1000 × characters, what the orchestrator debits (the reference gateway pays bytes)."""
    return 1000 * len(text)


# --- live video AI ------------------------------------------------------------------------


def live_units(seconds: Fraction | int) -> Fraction:
    """Units for `seconds` of live video (60 s up front at start, then per interval)."""
    return LIVE_UNITS_PER_SECOND * Fraction(seconds)


# --- BYOC ---------------------------------------------------------------------------------


def byoc_units(elapsed_s: Fraction | int) -> int:
    """The orchestrator debits whole started seconds."""
    return math.ceil(elapsed_s)


# --- remote signer billing (payments.md §8 last row, §11.3 step 5) -------------------------


def signer_units(
    job_type: str, *, seconds_since_update: Fraction | None, in_pixels: int = 0
) -> Fraction:
    """Billable units of one remote-signer call; `None` seconds means the first call."""
    if job_type == "lv2v":
        return live_units(60 if seconds_since_update is None else seconds_since_update)
    if job_type == "live":
        return Fraction(10 if seconds_since_update is None else math.ceil(seconds_since_update))
    if job_type == "fixed":
        return Fraction(1)
    if job_type == "":
        return Fraction(in_pixels)
    raise ValueError(f"unknown remote signer job type {job_type!r}")
