"""The error tree of lpgw.pipelines.

Each error is a type the edge maps once to a status (intake: 404, 400, 413, 415); callers
decide by type, never by message text.
"""


class PipelineError(Exception):
    """Base of every error raised by lpgw.pipelines."""


class UnknownPipeline(PipelineError, LookupError):
    """No declared pipeline has that name, path or capability."""


class DuplicatePipeline(PipelineError, ValueError):
    """Two declarations share a name, path or capability."""


class InputFactsMissing(PipelineError, ValueError):
    """Units need a fact about the inputs (image size, audio duration) that was not given."""


class InputRejected(PipelineError, ValueError):
    """The inputs are measurable but unusable, e.g. audio shorter than one second."""


class FileProblem(PipelineError, ValueError):
    """An uploaded file part is missing, too large or of a type the pipeline does not take."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MissingFile(FileProblem):
    def __init__(self, field: str) -> None:
        super().__init__(field, f"the file part {field!r} is required")


class FileTooLarge(FileProblem):
    def __init__(self, field: str, size: int, limit: int) -> None:
        super().__init__(field, f"the file part {field!r} has {size} bytes; at most {limit}")
        self.size = size
        self.limit = limit


class UnsupportedMediaType(FileProblem):
    def __init__(self, field: str, content_type: str, accepted: frozenset[str]) -> None:
        listed = ", ".join(sorted(accepted))
        super().__init__(
            field, f"the file part {field!r} is {content_type}; accepted types: {listed}"
        )
        self.content_type = content_type
        self.accepted = accepted
