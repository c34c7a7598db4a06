"""Per-segment fee estimate and when a segment's real debit is settled (pure)."""

from lpgw.session.video.paying import estimated_units, needs_settling
from lpgw.video.profiles import presets


def test_estimate_is_the_references_pixels_times_one_point_zero_two() -> None:
    ladder = presets(["P240p30fps16x9", "P360p30fps16x9"])
    pixels = (426 * 240 + 640 * 360) * 30 * 2
    units = estimated_units(ladder, 2000)
    assert pixels * 1.02 <= units <= pixels * 1.02 + 1


def test_duration_is_rounded_up_to_whole_seconds() -> None:
    ladder = presets(["P240p30fps16x9"])
    assert estimated_units(ladder, 2001) == estimated_units(ladder, 3000)
    assert estimated_units(ladder, 2001) > estimated_units(ladder, 2000)


def test_only_a_large_difference_is_settled() -> None:
    assert not needs_settling(1000, 1000)
    assert not needs_settling(1000, 960)  # 4 %: the usual 1.02 over-estimate
    assert needs_settling(1000, 600)  # a 2.1 s segment estimated as 3 s
    assert not needs_settling(0, 600)  # free: nothing was paid
