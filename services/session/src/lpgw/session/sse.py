"""Server-sent events read off a socket: whole events out of whatever bytes have arrived.
Pure.

The answer is read in whatever pieces the network delivers; every complete event in a piece is
relayed at once, together. When tokens come slowly each piece holds one event, so nothing waits;
when they come faster than the gateway relays them, several go as one chunk: fewer bus messages
and client writes, no added latency.
"""

EVENT_END = b"\n\n"


def split_events(buffered: bytes) -> tuple[list[bytes], bytes]:
    """The complete events in `buffered` (each ending with a blank line, line ends made `\\n`)
    and the bytes of the event not yet complete. Blank events are dropped."""
    text = buffered.replace(b"\r\n", b"\n")
    if text.endswith(b"\r"):  # half of a `\r\n` split between two reads
        text, carry = text[:-1], b"\r"
    else:
        carry = b""
    cut = text.rfind(EVENT_END)
    if cut < 0:
        return [], text + carry
    complete, rest = text[: cut + len(EVENT_END)], text[cut + len(EVENT_END) :]
    events = [event + EVENT_END for event in complete.split(EVENT_END) if event.strip()]
    return events, rest + carry
