"""The error tree of lpgw.wire.

Errors an orchestrator reports to a gateway carry the reference orchestrator's exact text as
their `str()`, so a test orchestrator built on this library answers what go-livepeer answers.
Callers decide by type, never by that text.
"""


class WireError(Exception):
    """Base of every error raised by lpgw.wire."""


class UnknownPipeline(WireError, ValueError):
    """A pipeline string or capability id that has no batch AI capability."""


class InvalidOrchestratorUrl(WireError, ValueError):
    """An orchestrator URL that is not `https://host[:port]` or `http://host[:port]`."""


class MalformedHeader(WireError, ValueError):
    """A Livepeer header that is not base64 of the expected protobuf message."""


class MalformedSegment(MalformedHeader):
    """`Livepeer-Segment` cannot be decoded."""

    def __init__(self) -> None:
        super().__init__("ErrorSegEncoding")


class MalformedPayment(MalformedHeader):
    """`Livepeer-Payment` cannot be decoded (the orchestrator answers 402)."""


class SegmentCredentialError(WireError):
    """Segment credentials an orchestrator refuses (it answers 403 with this text)."""

    text = "invalid segment credentials"

    def __init__(self) -> None:
        super().__init__(self.text)


class InvalidSegmentSignature(SegmentCredentialError):
    text = "ErrSegSig"


class IncompatibleCapabilities(SegmentCredentialError):
    text = "incompatible capabilities"


class MissingAuthToken(SegmentCredentialError):
    text = "missing auth token"


class InvalidAuthToken(SegmentCredentialError):
    text = "invalid auth token"


class ExpiredAuthToken(SegmentCredentialError):
    text = "expired auth token"


class OrchestratorError(WireError):
    """A gRPC call to an orchestrator failed."""


class OrchestratorUnavailable(OrchestratorError):
    """The orchestrator could not be reached in time (connect failure, TLS failure, deadline)."""


class OrchestratorRejected(OrchestratorError):
    """The orchestrator answered with an error status; `message` is its status message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
