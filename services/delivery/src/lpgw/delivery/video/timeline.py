"""Where each delivered segment sits: its media sequence number, its time on the stream's
timeline, and whether a player must treat it as a discontinuity.

Both HLS (`MEDIA-SEQUENCE`, `DISCONTINUITY-SEQUENCE`) and DASH (`SegmentTimeline`,
`availabilityStartTime`) number a sliding window by what came *before* it. A `Mark` is that
past folded into a few numbers, so a playlist of the last 6 segments is computed from those 6
plus a mark, not from every record of a long stream. Folding is deterministic, so every
delivery replica arrives at the same numbers from the same records.

Rules:
- A segment starts a discontinuity when it is flagged (the publisher reconnected) or its
  sequence number does not follow the previous segment's (segments were lost).
- In a profile's playlist a segment the profile lacks is played from the source file; a switch
  between the profile's own files and the source is a discontinuity too (other encoding
  parameters), so players reset their decoders there.
- Media sequence numbers count segments from the first one's seq: equal to `seq` while no seq
  was skipped, and still consistent across reloads when one was.
- Timeline time (milliseconds) adds up the durations; at a discontinuity it jumps ahead to the
  wall-clock time the segment was recorded (from `received_at`), so availabilityStartTime +
  time stays close to real time after a publisher was away.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lpgw.video.profiles import SOURCE
from lpgw.video.records import SegmentRecord


@dataclass(frozen=True)
class Mark:
    """The records before some point, folded."""

    count: int = 0
    first_seq: int = 0
    """Seq of the first record: media sequence numbers start here."""
    origin: float = 0.0
    """Wall-clock time (s) of timeline time 0: when the first segment began."""
    end_ms: int = 0
    """Timeline time where the last folded segment ends."""
    discontinuities: dict[str, int] = field(default_factory=dict)
    """Per rendition: segments before this point that started a discontinuity."""
    last: SegmentRecord | None = None


@dataclass(frozen=True)
class Entry:
    record: SegmentRecord
    msn: int
    start_ms: int
    discontinuity: bool
    """Starts a discontinuity for the stream as a whole (flagged or after lost segments)."""

    @property
    def seq(self) -> int:
        return self.record.seq

    @property
    def duration_ms(self) -> int:
        return self.record.duration_ms


def substituted(record: SegmentRecord, rendition: str) -> bool:
    """True when `rendition`'s playlist plays this segment from the source file."""
    return rendition != SOURCE and record.rendition(rendition) is None


def starts_discontinuity(record: SegmentRecord, previous: SegmentRecord | None) -> bool:
    if record.discontinuity:
        return True
    return previous is not None and record.seq != previous.seq + 1


def rendition_discontinuity(
    record: SegmentRecord, previous: SegmentRecord | None, rendition: str
) -> bool:
    """`starts_discontinuity`, plus a switch between the rendition's files and the source."""
    if starts_discontinuity(record, previous):
        return True
    return previous is not None and substituted(record, rendition) != substituted(
        previous, rendition
    )


@dataclass(frozen=True)
class Timeline:
    """Entries in sequence order, after `before` (what precedes them, folded)."""

    before: Mark
    entries: list[Entry]
    renditions: tuple[str, ...]

    def tail(self, size: int) -> "Timeline":
        """The last `size` entries, with the ones dropped folded into `before`."""
        cut = max(len(self.entries) - size, 0)
        return Timeline(
            fold(self.before, (e.record for e in self.entries[:cut]), self.renditions),
            self.entries[cut:],
            self.renditions,
        )

    @property
    def origin(self) -> float:
        """Wall-clock time (s) of timeline time 0; 0 for a stream with no segment yet."""
        if self.before.last is None and self.entries:
            return _origin(self.entries[0].record)
        return self.before.origin

    @property
    def duration_ms(self) -> int:
        if not self.entries:
            return 0
        last = self.entries[-1]
        return last.start_ms + last.duration_ms - self.entries[0].start_ms

    def entry_at(self, start_ms: int) -> Entry | None:
        return next((e for e in self.entries if e.start_ms == start_ms), None)

    def discontinuity_sequence(self, rendition: str) -> int:
        return self.before.discontinuities.get(rendition, 0)

    def media_sequence(self) -> int:
        if self.entries:
            return self.entries[0].msn
        return self.before.first_seq + self.before.count


def timeline(before: Mark, records: Iterable[SegmentRecord], renditions: Sequence[str]) -> Timeline:
    """The entries of `records` (in sequence order, all after `before.last`)."""
    names = tuple(renditions)
    entries: list[Entry] = []
    mark = before
    for record in records:
        entry, mark = _advance(mark, record, names)
        entries.append(entry)
    return Timeline(before, entries, names)


def fold(mark: Mark, records: Iterable[SegmentRecord], renditions: Sequence[str]) -> Mark:
    names = tuple(renditions)
    for record in records:
        mark = _advance(mark, record, names)[1]
    return mark


def _origin(record: SegmentRecord) -> float:
    return record.received_at - record.duration_ms / 1000


def _advance(mark: Mark, record: SegmentRecord, renditions: tuple[str, ...]) -> tuple[Entry, Mark]:
    """The record's entry after `mark`, and the mark with the record folded in."""
    previous = mark.last
    discontinuity = starts_discontinuity(record, previous)
    if previous is None:
        entry = Entry(record, record.seq, 0, discontinuity)
        first_seq, origin = record.seq, _origin(record)
    else:
        start = mark.end_ms
        if discontinuity:
            start = max(start, round((_origin(record) - mark.origin) * 1000))
        entry = Entry(record, mark.first_seq + mark.count, start, discontinuity)
        first_seq, origin = mark.first_seq, mark.origin
    counts = dict(mark.discontinuities)
    for name in renditions:
        if rendition_discontinuity(record, previous, name):
            counts[name] = counts.get(name, 0) + 1
    folded = Mark(
        count=mark.count + 1,
        first_seq=first_seq,
        origin=origin,
        end_ms=entry.start_ms + record.duration_ms,
        discontinuities=counts,
        last=record,
    )
    return entry, folded
