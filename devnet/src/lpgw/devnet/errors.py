"""Errors the devnet answers with, besides the wire protocol's own (lpgw.wire.errors).

The texts are the reference orchestrator's, because gateways log and sometimes classify them.
HTTP statuses are chosen once, in `http_app`; gRPC statuses once, in `grpc_unary`.
"""


class DevnetError(Exception):
    """Base of the devnet's own errors; str() is the text sent to the caller."""


class RequestDecodeError(DevnetError):
    """The request body is not the JSON the pipeline expects (HTTP 400)."""


class InvalidParameters(DevnetError):
    """The body decodes but the job cannot be sized, e.g. an image too large (HTTP 400)."""


class InsufficientCapacity(DevnetError):
    """No free slot for the (pipeline, model), or the model is not served (HTTP 503)."""

    def __init__(self) -> None:
        super().__init__("insufficient capacity")


class InjectedFailure(DevnetError):
    """The configured failure rate struck (HTTP 500), standing in for a worker error."""

    def __init__(self) -> None:
        super().__init__("devnet injected failure")


class OrchestratorRequestRejected(DevnetError):
    """A gRPC call is refused; the reference sends plain errors as status UNKNOWN."""


class PaymentRejected(DevnetError):
    """A payment the devnet cannot even read as ticket data (HTTP 400, like refused ones)."""


class InternalError(DevnetError):
    """The refreshed OrchestratorInfo of a response could not be built (HTTP 500)."""

    def __init__(self) -> None:
        super().__init__("Internal Server Error")
