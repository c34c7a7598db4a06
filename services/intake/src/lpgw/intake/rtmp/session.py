"""One RTMP connection after the handshake, as a pure state machine (no sockets, no clock).

Bytes go in through `feed`, which yields what the connection must act on: `PublishAsked` (ask
the authorize callback, then call `accept` or `refuse` before reading on), `FlvTag`s while
publishing, and `Unpublished`. Whatever we must send accumulates in `outgoing()`.

The publish flow of FFmpeg and OBS: `connect` (we answer Window Acknowledgement Size, Set Peer
Bandwidth, Set Chunk Size and `_result` NetConnection.Connect.Success), `releaseStream`,
`FCPublish`, `createStream` (`_result` with a stream id), `publish` (onStatus
NetStream.Publish.Start, or an error status then the end), media, then `FCUnpublish` and
`deleteStream`. Unknown commands are ignored: answering `_error` makes FFmpeg give up.
"""

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

from lpgw.intake.rtmp import amf0, commands, messages, tags
from lpgw.intake.rtmp.chunks import AckWindow, ChunkDecoder, ChunkEncoder
from lpgw.intake.rtmp.errors import ProtocolError
from lpgw.intake.rtmp.messages import Message, MessageType, UserControlEvent
from lpgw.intake.rtmp.publishing import FlvTag

OUR_CHUNK_SIZE = 4096
OUR_WINDOW = 2_500_000
"""Window Acknowledgement Size and peer bandwidth we announce (what FMS and nginx-rtmp use)."""

_ENDING_COMMANDS = frozenset({"FCUnpublish", "deleteStream", "closeStream"})
_MEDIA_TYPES = frozenset(
    {MessageType.AUDIO, MessageType.VIDEO, MessageType.DATA_AMF0, MessageType.AGGREGATE}
)


class State(enum.Enum):
    AWAITING_CONNECT = "awaiting_connect"
    CONNECTED = "connected"
    AUTHORIZING = "authorizing"
    PUBLISHING = "publishing"
    ENDED = "ended"


@dataclass(frozen=True)
class PublishAsked:
    app: str
    stream_key: str
    query: dict[str, str]
    tc_url: str


@dataclass(frozen=True)
class Unpublished:
    command: str  # the command that ended the stream


Event = PublishAsked | FlvTag | Unpublished


class Session:
    def __init__(self, *, max_message_bytes: int = 8 * 1024 * 1024) -> None:
        self.state = State.AWAITING_CONNECT
        self.app = ""
        self.tc_url = ""
        self._app_query: dict[str, str] = {}
        self._decoder = ChunkDecoder(max_message_bytes)
        self._encoder = ChunkEncoder()
        self._window = AckWindow()
        self._out = bytearray()
        self._next_stream_id = 1
        self._publish_stream_id = 0

    def feed(self, data: bytes) -> Iterator[Event]:
        """Events of the messages `data` completes, lazily: after a `PublishAsked`, resolve it
        (`accept`/`refuse`) before taking the next event."""
        sequence = self._window.add(len(data))
        if sequence is not None:
            self._send(messages.acknowledgement(sequence))
        self._decoder.feed(data)
        while (message := self._decoder.next_message()) is not None:
            if self.state is State.AUTHORIZING:
                raise RuntimeError("accept or refuse the publish request before reading on")
            yield from self._handle(message)

    def accept(self) -> None:
        self._require(State.AUTHORIZING)
        self.state = State.PUBLISHING
        self._send(messages.stream_begin(self._publish_stream_id))
        self._send(
            commands.on_status(
                self._publish_stream_id, "status", "NetStream.Publish.Start", "Publishing started."
            )
        )

    def refuse(self, code: str, description: str) -> None:
        self._require(State.AUTHORIZING)
        self.state = State.ENDED
        self._send(commands.on_status(self._publish_stream_id, "error", code, description))

    def outgoing(self) -> bytes:
        """Bytes to write to the peer, taken (the buffer empties)."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def _send(self, message: Message) -> None:
        self._out += self._encoder.encode(message)

    def _require(self, state: State) -> None:
        if self.state is not state:
            raise RuntimeError(f"session is {self.state.value}, not {state.value}")

    def _handle(self, message: Message) -> Iterator[Event]:
        kind = message.type_id
        if kind in _MEDIA_TYPES:
            if self.state is State.PUBLISHING:  # before publish (or after the end): dropped
                yield from tags.from_message(message)
        elif kind == MessageType.COMMAND_AMF0 or kind == MessageType.COMMAND_AMF3:
            yield from self._command(commands.parse(message), message.stream_id)
        elif kind == MessageType.USER_CONTROL:
            event, data = messages.parse_user_control(message)
            if event == UserControlEvent.PING_REQUEST:
                self._send(messages.user_control(UserControlEvent.PING_RESPONSE, data[:4]))
        elif kind == MessageType.WINDOW_ACK_SIZE:
            self._window.size = messages.u32(message)
        # Acknowledgement, Set Peer Bandwidth, shared objects, AMF3 data: nothing to do.

    def _command(self, command: commands.Command, stream_id: int) -> Iterator[Event]:
        name = command.name
        if name == "connect":
            self._connect(command)
        elif name in ("releaseStream", "FCPublish"):
            self._connected(name)
            self._answer(command, None)
        elif name == "createStream":
            self._connected(name)
            self._answer(command, None, float(self._next_stream_id))
            self._next_stream_id += 1
        elif name == "publish":
            yield self._publish(command, stream_id)
        elif name in _ENDING_COMMANDS:
            if self.state is State.PUBLISHING:
                self.state = State.ENDED
                yield Unpublished(name)
        elif name == "play":
            self._send(
                commands.on_status(
                    stream_id,
                    "error",
                    "NetStream.Play.Failed",
                    "This server only accepts publishing.",
                )
            )
            raise ProtocolError("play is not supported")

    def _connect(self, command: commands.Command) -> None:
        if self.state is not State.AWAITING_CONNECT:
            raise ProtocolError("connect sent twice")
        info = command.command_object if isinstance(command.command_object, dict) else {}
        app, tc_url = info.get("app"), info.get("tcUrl")
        app = app if isinstance(app, str) else ""
        self.app, _, app_query = app.partition("?")
        self._app_query = dict(parse_qsl(app_query, keep_blank_values=True))
        self.tc_url = tc_url if isinstance(tc_url, str) else ""
        self.state = State.CONNECTED
        self._send(messages.window_ack_size(OUR_WINDOW))
        self._send(messages.set_peer_bandwidth(OUR_WINDOW))
        self._send(messages.set_chunk_size(OUR_CHUNK_SIZE))
        self._encoder.chunk_size = OUR_CHUNK_SIZE
        properties: dict[str, amf0.Value] = {"fmsVer": "FMS/3,0,1,123", "capabilities": 31.0}
        status: dict[str, amf0.Value] = {
            "level": "status",
            "code": "NetConnection.Connect.Success",
            "description": "Connection succeeded.",
            "objectEncoding": 0.0,
        }
        self._answer(command, properties, status)

    def _publish(self, command: commands.Command, stream_id: int) -> PublishAsked:
        self._connected("publish")
        if self.state is not State.CONNECTED:
            raise ProtocolError("publish sent twice")
        name = command.arg(0)
        if not isinstance(name, str):
            raise ProtocolError("publish needs a stream name")
        key, _, query = name.partition("?")
        self._publish_stream_id = stream_id
        self.state = State.AUTHORIZING
        merged = self._app_query | dict(parse_qsl(query, keep_blank_values=True))
        return PublishAsked(self.app, key, merged, self.tc_url)

    def _connected(self, command: str) -> None:
        if self.state is State.AWAITING_CONNECT:
            raise ProtocolError(f"{command} before connect")

    def _answer(self, command: commands.Command, *values: amf0.Value) -> None:
        if command.transaction_id:  # 0 means the client wants no answer
            self._send(commands.result(command.transaction_id, *values))
