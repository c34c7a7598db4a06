"""Why intake could not answer with a result: one type per reason, mapped to HTTP in `replies`."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One schema violation, in the shape of an `HTTPValidationError` item."""

    loc: tuple[str | int, ...]
    msg: str
    type: str


class IntakeError(Exception):
    """Base of every failure intake turns into an error response."""


class BodyTooLarge(IntakeError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class MalformedJson(IntakeError):
    """The body is not a JSON document."""


class InvalidRequest(IntakeError):
    """The JSON document does not match the pipeline's schema."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{_dotted(e.loc)}: {e.msg}" for e in errors))
        self.errors = errors


class NoDefaultModel(IntakeError):
    """The application named no model and none is configured for the pipeline."""

    def __init__(self, pipeline: str) -> None:
        super().__init__(f"model_id is required: no default model for {pipeline}")
        self.pipeline = pipeline


class QueueUnavailable(IntakeError):
    """The job could not be handed to the bus (NATS down or JetStream not answering)."""


class ResultTimeout(IntakeError):
    """No result arrived within the request timeout."""


def _dotted(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


class UnsupportedBody(IntakeError):
    """The body is not of the kind the route takes (JSON or multipart form)."""


class FileRejected(IntakeError):
    """A file part is missing (400), too large (413) or of a type the pipeline does not take
    (415)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class UnreadableInput(IntakeError):
    """An uploaded file cannot be read as what it claims to be, or cannot be used (audio
    shorter than a second)."""


class UnknownRequestId(IntakeError):
    """An asynchronous result was asked for with an id intake never gave (or has forgotten)."""


class InvalidJobRequest(IntakeError):
    """The BYOC `Livepeer` header (or the route) is not a usable job."""


class ResultUnavailable(IntakeError):
    """The job's result was stored apart (too large for a message) and cannot be read back."""


class ClientDisconnected(IntakeError):
    """The client went away before its answer began (nobody reads the reply)."""
