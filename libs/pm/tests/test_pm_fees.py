"""Units per workload (payments.md §8) and sender credit rules (§7), as named cases."""

from fractions import Fraction

import pytest
from lpgw.pm.balances import (
    Balances,
    UpdateStatus,
    ai_bucket,
    byoc_tickets,
    require_tickets,
    settle,
    stage_update,
)
from lpgw.pm.errors import NoTickets, TooManyTickets
from lpgw.pm.fees import (
    Profile,
    audio_to_text_units,
    byoc_units,
    image_to_image_units,
    image_to_video_units,
    image_units,
    live_units,
    llm_units,
    signer_units,
    text_to_image_units,
    text_to_speech_units,
    transcode_estimated_pixels,
    transcode_fee,
)
from lpgw.pm.price import Price

EV = Fraction(8 * 10**9)
ORCH = bytes(20)


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        pytest.param(text_to_image_units(), 512 * 512, id="text-to-image defaults to 512x512x1"),
        pytest.param(text_to_image_units(1024, 768, 2), 1024 * 768 * 2, id="text-to-image"),
        pytest.param(image_to_image_units(300, 200, 3), 180_000, id="image-to-image"),
        pytest.param(image_to_video_units(), 576 * 1024 * 25, id="image-to-video defaults"),
        pytest.param(image_units(100, 40), 4000, id="upscale, sam2, image-to-text: input size"),
        pytest.param(audio_to_text_units(7), 7000, id="audio-to-text bills milliseconds"),
        pytest.param(llm_units(), 256, id="llm defaults to 256 max tokens"),
        pytest.param(text_to_speech_units("héllo"), 5000, id="tts bills 1000 per character"),
        pytest.param(live_units(60), 1_658_880_000, id="live start prepays 60 s of 720p30"),
        pytest.param(byoc_units(Fraction(21, 10)), 3, id="byoc bills started seconds"),
    ],
)
def test_units(units: int | Fraction, expected: int) -> None:
    assert units == expected


@pytest.mark.parametrize(
    ("job_type", "seconds", "expected"),
    [
        pytest.param("lv2v", None, 60 * 1280 * 720 * 30, id="lv2v first call bills 60 s"),
        pytest.param("lv2v", Fraction(5), 5 * 1280 * 720 * 30, id="lv2v bills elapsed time"),
        pytest.param("live", None, 10, id="live first call bills 10 s"),
        pytest.param("live", Fraction(41, 10), 5, id="live bills whole started seconds"),
        pytest.param("fixed", Fraction(99), 1, id="fixed bills one unit"),
        pytest.param("", None, 1234, id="no type bills inPixels"),
    ],
)
def test_remote_signer_units(job_type: str, seconds: Fraction | None, expected: int) -> None:
    assert signer_units(job_type, seconds_since_update=seconds, in_pixels=1234) == expected


def test_pass_through_frame_rate_counts_as_60_and_fractions_round_up() -> None:
    profiles = [Profile(10, 10), Profile(10, 10, 30000, 1001)]
    assert transcode_estimated_pixels(profiles, Fraction(3, 2)) == 100 * 60 * 2 + 100 * 30 * 2


def test_transcoding_debit_is_produced_pixels_times_price() -> None:
    assert transcode_fee([100, 50], Price.of(3, 2)) == 225


@pytest.mark.parametrize(
    ("existing", "fee", "ev", "tickets"),
    [
        pytest.param(Fraction(0), Fraction(1), EV, 1, id="one ticket EV is the minimum credit"),
        pytest.param(EV, Fraction(1), EV, 0, id="credit of one EV needs no tickets"),
        pytest.param(Fraction(0), 3 * EV + 1, EV, 4, id="the fee is covered rounding up"),
        pytest.param(-EV, Fraction(1), EV, 2, id="a negative balance is made up first"),
        pytest.param(Fraction(0), Fraction(10**12), Fraction(0), 0, id="free params need none"),
    ],
)
def test_tickets_to_cover_a_fee(
    existing: Fraction, fee: Fraction, ev: Fraction, tickets: int
) -> None:
    update = stage_update(existing, fee, ev)
    assert update.num_tickets == tickets
    assert update.new_credit == tickets * ev


@pytest.mark.parametrize(
    ("status", "debit", "expected"),
    [
        pytest.param(UpdateStatus.STAGED, None, Fraction(5), id="unsent request puts credit back"),
        pytest.param(UpdateStatus.CREDIT_SPENT, None, Fraction(0), id="sent without result spends"),
        pytest.param(
            UpdateStatus.RECEIVED_CHANGE,
            None,
            5 + 2 * EV - 10**10,
            id="result settles the estimate",
        ),
        pytest.param(
            UpdateStatus.RECEIVED_CHANGE, Fraction(3), 5 + 2 * EV - 3, id="or the real fee"
        ),
    ],
)
def test_completion(status: UpdateStatus, debit: Fraction | None, expected: Fraction) -> None:
    update = stage_update(Fraction(5), Fraction(10**10), EV)
    assert update.num_tickets == 2
    assert settle(update, status, debit) == expected


def test_existing_credit_is_reserved_while_a_request_runs() -> None:
    ledger = Balances()
    ledger.credit(ORCH, "27_model", 3 * EV)
    first = ledger.stage(ORCH, "27_model", Fraction(10), EV)
    second = ledger.stage(ORCH, "27_model", Fraction(10), EV)
    assert (first.num_tickets, second.num_tickets) == (0, 1)
    ledger.complete(ORCH, "27_model", second, UpdateStatus.STAGED)
    ledger.complete(ORCH, "27_model", first, UpdateStatus.RECEIVED_CHANGE)
    assert ledger.balance(ORCH, "27_model") == 3 * EV - 10


def test_orchestrator_reported_balance_replaces_ours() -> None:
    ledger = Balances()
    ledger.credit(ORCH, "cap", Fraction(7))
    ledger.reset(ORCH, "cap", Fraction(2))
    assert ledger.balance(ORCH, "cap") == 2


@pytest.mark.parametrize(
    ("num", "error"),
    [
        pytest.param(0, "no tickets", id="covered fee: no tickets this cycle"),
        pytest.param(101, "numTickets 101 exceeds maximum of 100", id="over 100 refused"),
    ],
)
def test_remote_signer_ticket_bounds(num: int, error: str) -> None:
    with pytest.raises((NoTickets, TooManyTickets)) as caught:
        require_tickets(num)
    assert str(caught.value) == error


def test_remote_signer_ticket_bounds_pass_through() -> None:
    assert require_tickets(100) == 100


@pytest.mark.parametrize(
    ("balance", "timeout_s", "tickets"),
    [
        pytest.param(Fraction(120 * 10**8), 30, 0, id="byoc pays nothing while 120 s are prepaid"),
        pytest.param(Fraction(0), 30, 1, id="byoc covers the timeout"),
        pytest.param(Fraction(0), 10**5, 600, id="byoc tickets are capped at 600"),
    ],
)
def test_byoc_tickets(balance: Fraction, timeout_s: int, tickets: int) -> None:
    assert byoc_tickets(balance, Price.of(10**8, 1), timeout_s, EV) == tickets


def test_ai_buckets_are_capability_and_model() -> None:
    assert ai_bucket(27, "stabilityai/sdxl-turbo") == "27_stabilityai/sdxl-turbo"
