"""Whole server-sent events out of the pieces a socket delivers."""

import pytest
from lpgw.session.sse import split_events


@pytest.mark.parametrize(
    ("pieces", "events"),
    [
        pytest.param([b"data: a\n\n"], [b"data: a\n\n"], id="one event"),
        pytest.param([b"data: a\n\ndata: b\n\n"], [b"data: a\n\ndata: b\n\n"], id="two at once"),
        pytest.param([b"data: a\n", b"\ndata: b"], [b"data: a\n\n"], id="split across reads"),
        pytest.param([b"data: a\r\n\r\n"], [b"data: a\n\n"], id="CRLF line ends"),
        pytest.param([b"data: a\r", b"\n\r\n"], [b"data: a\n\n"], id="CRLF split in two"),
        pytest.param([b"event: x\ndata: 1\n\n"], [b"event: x\ndata: 1\n\n"], id="multi-line"),
        pytest.param([b"\n\n\n\ndata: a\n\n"], [b"data: a\n\n"], id="blank events dropped"),
    ],
)
def test_events_are_cut_at_blank_lines_whatever_the_pieces(
    pieces: list[bytes], events: list[bytes]
) -> None:
    found: list[bytes] = []
    pending = b""
    for piece in pieces:
        complete, pending = split_events(pending + piece)
        found += complete
    assert b"".join(found) == b"".join(events)


def test_an_incomplete_event_waits_for_the_rest() -> None:
    events, rest = split_events(b'data: {"tok')
    assert events == []
    events, rest = split_events(rest + b'en": 1}\n\ndata: [DO')
    assert events == [b'data: {"token": 1}\n\n']
    assert rest == b"data: [DO"
