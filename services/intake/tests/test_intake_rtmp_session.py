"""The connection state machine without sockets: what a publishing client is answered, and
which events the server acts on."""

import struct
from collections.abc import Callable

import pytest
from lpgw.intake.rtmp import BAD_NAME, FlvTag, amf0, commands, messages
from lpgw.intake.rtmp.amf0 import EcmaArray
from lpgw.intake.rtmp.chunks import ChunkDecoder, ChunkEncoder
from lpgw.intake.rtmp.errors import ProtocolError
from lpgw.intake.rtmp.messages import Message, MessageType, UserControlEvent
from lpgw.intake.rtmp.session import Event, PublishAsked, Session, State, Unpublished

TC_URL = "rtmp://127.0.0.1:1935/live"
METADATA = amf0.encode("onMetaData", EcmaArray(width=320.0, height=180.0))


class Client:
    """Speaks to a Session as FFmpeg would, minus the handshake."""

    def __init__(self, decide: Callable[[Session], None] | None = None) -> None:
        self.session = Session()
        self.decide = decide
        self._encoder = ChunkEncoder()
        self._decoder = ChunkDecoder()
        self.sent_bytes = 0

    def send(self, *sent: Message) -> list[Event]:
        events: list[Event] = []
        data = b"".join(self._encoder.encode(m) for m in sent)
        self.sent_bytes += len(data)
        for event in self.session.feed(data):
            events.append(event)
            if isinstance(event, PublishAsked) and self.decide is not None:
                self.decide(self.session)
        return events

    def replies(self) -> list[Message]:
        self._decoder.feed(self.session.outgoing())
        return self._decoder.messages()

    @property
    def their_chunk_size(self) -> int:
        return self._decoder.chunk_size

    def up_to_publish(self, name: str = "key1") -> list[Event]:
        self.send(connect(), command("releaseStream", 2, None, name))
        self.send(command("FCPublish", 3, None, name), command("createStream", 4, None))
        self.replies()
        return self.send(command("publish", 5, None, name, "live", stream_id=1))


def command(name: str, transaction: float, *values: amf0.Value, stream_id: int = 0) -> Message:
    return commands.command(name, transaction, *values, stream_id=stream_id, csid=3)


def connect(app: str = "live", transaction: float = 1) -> Message:
    return command("connect", transaction, {"app": app, "type": "nonprivate", "tcUrl": TC_URL})


def media(type_id: int, payload: bytes, timestamp: int) -> Message:
    return Message(type_id, payload, timestamp, stream_id=1, csid=4)


def body(message: Message) -> list[amf0.Value]:
    return amf0.decode(message.payload)


def accept(session: Session) -> None:
    session.accept()


def test_connect_is_answered_with_window_bandwidth_chunk_size_and_success() -> None:
    client = Client()
    assert client.send(connect()) == []
    replies = client.replies()
    assert [m.type_id for m in replies] == [
        MessageType.WINDOW_ACK_SIZE,
        MessageType.SET_PEER_BANDWIDTH,
        MessageType.COMMAND_AMF0,
    ]
    assert client.their_chunk_size == 4096  # Set Chunk Size, applied by our decoder
    name, transaction, _, status = body(replies[-1])
    assert (name, transaction) == ("_result", 1.0)
    assert isinstance(status, dict)
    assert status["code"] == "NetConnection.Connect.Success"
    assert client.session.app == "live"
    assert client.session.tc_url == TC_URL


def test_create_stream_answers_a_stream_id() -> None:
    client = Client()
    client.send(connect())
    client.replies()
    client.send(command("createStream", 4, None), command("createStream", 5, None))
    assert [body(m) for m in client.replies()] == [
        ["_result", 4.0, None, 1.0],
        ["_result", 5.0, None, 2.0],
    ]


def test_release_stream_and_fcpublish_are_answered_unless_transaction_is_0() -> None:
    client = Client()
    client.send(connect())
    client.replies()
    client.send(command("releaseStream", 2, None, "k"), command("FCPublish", 0, None, "k"))
    assert [body(m) for m in client.replies()] == [["_result", 2.0, None]]


def test_publish_asks_with_app_key_and_query() -> None:
    client = Client()
    client.send(connect(app="live?region=eu&token=a"))
    events = client.send(command("publish", 5, None, "key1?token=b&x=", "live", stream_id=1))
    assert events == [PublishAsked("live", "key1", {"region": "eu", "token": "b", "x": ""}, TC_URL)]
    assert client.session.state is State.AUTHORIZING


def test_accepted_publish_starts_and_media_flows_as_flv_tags() -> None:
    client = Client(decide=accept)
    client.up_to_publish()
    begin, status = client.replies()
    assert begin.type_id == MessageType.USER_CONTROL
    assert messages.parse_user_control(begin) == (UserControlEvent.STREAM_BEGIN, b"\0\0\0\1")
    assert status.stream_id == 1
    info = body(status)[3]
    assert isinstance(info, dict)
    assert (info["level"], info["code"]) == ("status", "NetStream.Publish.Start")

    events = client.send(
        media(MessageType.DATA_AMF0, amf0.encode("@setDataFrame") + METADATA, 0),
        media(MessageType.VIDEO, b"\x17\x00\x00\x00\x00avcC", 0),
        media(MessageType.AUDIO, b"\xaf\x00\x12\x10", 0),
        media(MessageType.AUDIO, b"\xaf\x01frame", 23),
        media(MessageType.VIDEO, b"\x27\x01\x00\x00\x00nalu", 33),
    )
    assert events == [
        FlvTag("script", 0, METADATA),
        FlvTag("video", 0, b"\x17\x00\x00\x00\x00avcC"),
        FlvTag("audio", 0, b"\xaf\x00\x12\x10"),
        FlvTag("audio", 23, b"\xaf\x01frame"),
        FlvTag("video", 33, b"\x27\x01\x00\x00\x00nalu"),
    ]


def test_refused_publish_is_answered_with_an_error_status() -> None:
    client = Client(decide=lambda session: session.refuse(BAD_NAME, "unknown stream key"))
    client.up_to_publish()
    (status,) = client.replies()
    info = body(status)[3]
    assert info == {"level": "error", "code": BAD_NAME, "description": "unknown stream key"}
    assert client.session.state is State.ENDED
    assert client.send(media(MessageType.VIDEO, b"\x17\x01", 0)) == []


def test_media_before_publish_is_dropped() -> None:
    client = Client()
    client.send(connect())
    assert client.send(media(MessageType.AUDIO, b"\xaf\x01", 0)) == []


def test_media_read_with_the_publish_waits_for_the_decision() -> None:
    client = Client()
    client.send(connect())
    stream = client.session.feed(
        ChunkEncoder().encode(command("publish", 5, None, "k", "live", stream_id=1))
        + ChunkEncoder().encode(media(MessageType.AUDIO, b"\xaf\x01", 0))
    )
    assert isinstance(next(stream), PublishAsked)
    with pytest.raises(RuntimeError, match="accept or refuse"):
        next(stream)

    client = Client()
    client.send(connect())
    data = ChunkEncoder().encode(command("publish", 5, None, "k", "live", stream_id=1))
    data += ChunkEncoder().encode(media(MessageType.AUDIO, b"\xaf\x01", 0))
    stream = client.session.feed(data)
    assert isinstance(next(stream), PublishAsked)
    client.session.accept()
    assert list(stream) == [FlvTag("audio", 0, b"\xaf\x01")]


def test_ping_request_is_answered() -> None:
    client = Client()
    client.send(messages.user_control(UserControlEvent.PING_REQUEST, b"\x00\x00\x12\x34"))
    (pong,) = client.replies()
    assert messages.parse_user_control(pong) == (UserControlEvent.PING_RESPONSE, b"\0\0\x12\x34")


def test_the_peers_window_brings_acknowledgements() -> None:
    client = Client()
    client.send(messages.window_ack_size(100))
    client.send(media(MessageType.AUDIO, bytes(120), 0))
    (ack,) = client.replies()
    assert ack.type_id == MessageType.ACKNOWLEDGEMENT
    assert messages.u32(ack) == client.sent_bytes


@pytest.mark.parametrize("ending", ["FCUnpublish", "deleteStream", "closeStream"])
def test_unpublish_ends_the_stream(ending: str) -> None:
    client = Client(decide=accept)
    client.up_to_publish()
    events = client.send(
        media(MessageType.AUDIO, b"\xaf\x01", 0),
        command(ending, 6, None, "key1"),
        media(MessageType.AUDIO, b"\xaf\x01", 23),
        command("deleteStream", 7, None, 1.0),
    )
    assert events == [FlvTag("audio", 0, b"\xaf\x01"), Unpublished(ending)]
    assert client.session.state is State.ENDED


def test_unknown_commands_are_ignored() -> None:
    client = Client()
    client.send(connect())
    client.replies()
    sent = [command(name, 9, None) for name in ("getStreamLength", "_checkbw", "whatever")]
    assert client.send(*sent, command("_result", 1, None)) == []
    assert client.replies() == []


def test_amf3_command_messages_are_understood() -> None:
    client = Client()
    amf0_connect = connect()
    client.send(Message(MessageType.COMMAND_AMF3, b"\x00" + amf0_connect.payload, 0, 0, 3))
    assert client.session.state is State.CONNECTED


@pytest.mark.parametrize(
    ("sent", "needs_connect"),
    [
        pytest.param(command("publish", 5, None, "k", "live"), False, id="publish before connect"),
        pytest.param(command("createStream", 2, None), False, id="createStream before connect"),
        pytest.param(connect(), True, id="connect twice"),
        pytest.param(command("publish", 5, None, 1.0, "live"), True, id="publish without a name"),
        pytest.param(command("play", 5, None, "k"), True, id="play"),
        pytest.param(Message(MessageType.COMMAND_AMF0, amf0.encode(1.0)), True, id="no name"),
    ],
)
def test_out_of_place_commands_are_protocol_errors(sent: Message, needs_connect: bool) -> None:
    client = Client()
    if needs_connect:
        client.send(connect())
    with pytest.raises(ProtocolError):
        client.send(sent)


def test_publishing_twice_is_a_protocol_error() -> None:
    client = Client(decide=accept)
    client.up_to_publish()
    with pytest.raises(ProtocolError):
        client.send(command("publish", 8, None, "other", "live", stream_id=1))


def test_data_messages_other_than_set_data_frame() -> None:
    client = Client(decide=accept)
    client.up_to_publish()
    cue = amf0.encode("onCuePoint", {"name": "ad"})
    events = client.send(
        media(MessageType.DATA_AMF0, amf0.encode("@clearDataFrame", "onMetaData"), 0),
        media(MessageType.DATA_AMF0, cue, 10),
        media(MessageType.DATA_AMF0, METADATA, 20),
        media(MessageType.AUDIO, b"", 30),  # empty media says nothing: dropped
    )
    assert events == [FlvTag("script", 10, cue), FlvTag("script", 20, METADATA)]


def test_aggregate_messages_become_tags_with_shifted_timestamps() -> None:
    def flv_tag(type_id: int, ts: int, data: bytes) -> bytes:
        header = (
            bytes((type_id,)) + len(data).to_bytes(3, "big") + (ts & 0xFFFFFF).to_bytes(3, "big")
        )
        return header + bytes((ts >> 24,)) + bytes(3) + data + struct.pack(">I", 11 + len(data))

    client = Client(decide=accept)
    client.up_to_publish()
    aggregate = flv_tag(8, 5000, b"\xaf\x01a") + flv_tag(9, 5033, b"\x27\x01v")
    events = client.send(media(MessageType.AGGREGATE, aggregate, 100))
    assert events == [FlvTag("audio", 100, b"\xaf\x01a"), FlvTag("video", 133, b"\x27\x01v")]
    with pytest.raises(ProtocolError):
        client.send(media(MessageType.AGGREGATE, aggregate[:-5], 200))
