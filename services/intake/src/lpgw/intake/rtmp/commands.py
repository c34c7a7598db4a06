"""AMF0 command messages: `connect`, `createStream`, `publish`, ... and our answers to them.

A command is its name, a transaction id (answers carry it back; 0 means "no answer wanted"),
a command object (often null) and arguments. AMF3 command messages (type 17) are AMF0 after a
leading format byte, which is all we need of them.
"""

from dataclasses import dataclass
from typing import Final

from lpgw.intake.rtmp import amf0
from lpgw.intake.rtmp.errors import ProtocolError
from lpgw.intake.rtmp.messages import Message, MessageType

COMMAND_CSID: Final = 3
"""Chunk stream of our answers to NetConnection commands."""
STATUS_CSID: Final = 5
"""Chunk stream of our onStatus answers to NetStream commands."""


@dataclass(frozen=True)
class Command:
    name: str
    transaction_id: float
    command_object: amf0.Value
    args: tuple[amf0.Value, ...]

    def arg(self, index: int) -> amf0.Value:
        """Argument `index`, or None when the client sent fewer."""
        return self.args[index] if index < len(self.args) else None


def parse(message: Message) -> Command:
    payload = message.payload
    if message.type_id == MessageType.COMMAND_AMF3 and payload[:1] == b"\x00":
        payload = payload[1:]
    values = amf0.decode(payload)
    if not values or not isinstance(values[0], str):
        raise ProtocolError("a command message starts with its name")
    transaction = values[1] if len(values) > 1 else 0.0
    if isinstance(transaction, bool) or not isinstance(transaction, int | float):
        raise ProtocolError("a command's transaction id is a number")
    command_object = values[2] if len(values) > 2 else None
    return Command(values[0], float(transaction), command_object, tuple(values[3:]))


def command(
    name: str,
    transaction_id: float,
    *values: amf0.Value,
    stream_id: int = 0,
    csid: int = COMMAND_CSID,
) -> Message:
    """A command message; `values` are the command object and then the arguments."""
    payload = amf0.encode(name, transaction_id, *values)
    return Message(MessageType.COMMAND_AMF0, payload, 0, stream_id, csid)


def result(transaction_id: float, *values: amf0.Value) -> Message:
    return command("_result", transaction_id, *values)


def on_status(stream_id: int, level: str, code: str, description: str) -> Message:
    """A NetStream status: FFmpeg and librtmp read `level` and `code` from the object that
    follows the transaction id and a null."""
    info: dict[str, amf0.Value] = {"level": level, "code": code, "description": description}
    return command("onStatus", 0, None, info, stream_id=stream_id, csid=STATUS_CSID)
