"""Event schemas carried on the bus. Events are small: media travels as blob keys.

Every event has a `schema_version`; consumers reject versions they do not know. Trace
context and the job id also travel in NATS headers (see `lpgw.bus.tracing`).
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Token = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
"""A name that becomes one NATS subject token (job ids, inboxes): no dots, no wildcards."""


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: int = SCHEMA_VERSION


class BlobRef(BaseModel):
    """A stored media file: `key` in the media bucket, served at /stream/{key}."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    content_type: str
    size: int
    sha256: str


class ByocSpec(BaseModel):
    """What a BYOC job adds to a batch job (ai-api.md §5.1): the container route, the
    application's `request` and `parameters` JSON texts (signed as they are), the job's time
    bound, and the body's type (the body itself is the job's `body` input)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    capability: str
    route: str
    request: str
    parameters: str
    timeout_seconds: int
    content_type: str = ""
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    search_timeout_s: float = 1.0
    search_response_timeout_s: float = 0.5


class AiJob(Event):
    """A batch AI (or BYOC) request accepted by intake. `request` is the body to forward,
    model resolved; `inputs` are the uploaded files by part name; `units` what the
    orchestrator will charge, computed by intake from the pipeline's declaration and the
    measured inputs. The result goes to `names.result(inbox, job_id)`, where the intake process
    that accepted the request waits for it; with `stream`, the answer's bytes go first, as they
    come, to `names.chunk(inbox, job_id)`."""

    job_id: Token
    inbox: Token
    pipeline: str
    model_id: str
    request: dict[str, Any]
    inputs: dict[str, BlobRef] = Field(default_factory=dict)
    units: int = 0
    account: str = ""
    """The API key (or webhook account) the request came with: spend is recorded against it."""
    stream: bool = False
    byoc: ByocSpec | None = None
    submitted_at: float
    deadline: float
    max_attempts: int = 3


class JobError(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    status: int
    message: str


class JobResult(Event):
    """The end of a job. On success `response` is the application-facing JSON, with every
    media `url` already pointing at `/stream/{blob key}`; on failure `error` says why."""

    job_id: str
    ok: bool
    response: dict[str, Any] | None = None
    response_blob: BlobRef | None = None
    """A response too large for a message (a segment-anything-2 answer is megabytes of mask
    text) is stored as this JSON blob instead of `response`."""
    media: list[BlobRef] = Field(default_factory=list)
    error: JobError | None = None
    orchestrator: str | None = None
    attempts: int = 0
    chunks: int = 0
    """For a streamed answer: how many chunks the delivery that finished sent (intake relays
    until it has them all)."""
    delivery: int = 0
    """Which delivery of the job sent the chunks."""


class Outcome(BaseModel):
    """One attempt of one job against one orchestrator (an item of `Outcomes`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    job_id: str
    workload: Literal["ai", "transcode", "byoc", "live"]
    pipeline: str
    model_id: str
    orchestrator: str
    ok: bool
    latency_ms: float
    error_kind: str | None = None
    counts: bool = True
    """False for a refusal that says nothing about the orchestrator's health ("insufficient
    capacity": it is only full); the selector does not hold it against the orchestrator."""


class Outcomes(Event):
    """The attempts a session worker finished in the last moment, published together: the
    selector learns from them, and no attempt waits for its own acknowledgement."""

    outcomes: list[Outcome]


TRANSCODING = "transcoding"
"""The `pipeline` of a transcoding selection (live video; no capability id of its own)."""


class SelectionRequest(Event):
    """Who can do (pipeline, model), best first; the session shares one answer among the jobs
    of a short window, so no job id.

    For transcoding, `pipeline` is `TRANSCODING`, `model_id` is empty, `capability` is 0 and
    `required` lists the job's capability ids (input codec, output formats and profiles): an
    orchestrator must offer every one. `max_price` (wei per unit, "num/den" or an integer) drops
    orchestrators priced above it; empty means no ceiling."""

    capability: int
    pipeline: str
    model_id: str
    required: list[int] = Field(default_factory=list)
    max_price: str = ""
    exclude: list[str] = Field(default_factory=list)
    limit: int = 5


class Candidate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str
    address: str
    price_per_unit: int
    pixels_per_unit: int
    latency_ms: float
    score: float


class SelectionReply(Event):
    candidates: list[Candidate]


class SignatureAudit(Event):
    """What the payment-signer signed, for whom: one event per call that signs tickets, per
    payment session opened, per identity signature handed out."""

    client: str
    route: str
    recipient: str
    orchestrator: str = ""
    bucket: str = ""
    job: str = ""
    """The job or stream the tickets paid for (the StateID for the remote-signer API)."""
    payment_session: str = ""
    tickets: int
    face_value: str
    win_prob: str
    ev: str
    nonces: list[int] = Field(default_factory=list)
    signed_at: float


class OrchestratorListRequest(Event):
    """`caps` filters by "<pipeline>/<model>" as the remote-signer discovery API does."""

    caps: list[str] = Field(default_factory=list)


class OrchestratorSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str
    address: str
    capabilities: list[str]
    latency_ms: float | None = None
    ok: bool = True


class OrchestratorList(Event):
    orchestrators: list[OrchestratorSummary]


class SourceInfo(BaseModel):
    """What intake learned of a live stream's input when it cut a segment."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    video_codec: str = "h264"
    """FFmpeg's codec name (h264, hevc, vp8, vp9); decides the orchestrator decode capability."""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    has_audio: bool = False


class VideoInput(Event):
    """One message on a live stream's input subject, in order: a segment cut by intake (its
    bytes stored as `source` in the video media space), or the end of the stream (`ended`,
    no segment). Sequence numbers grow by one per segment across publisher reconnections; the
    first segment after a reconnection has `discontinuity`."""

    stream_id: Token
    seq: int = Field(ge=0)
    ended: bool = False
    duration_ms: int = Field(default=0, ge=0, le=300_000)
    source: BlobRef | None = None
    info: SourceInfo = Field(default_factory=SourceInfo)
    discontinuity: bool = False
    received_at: float
    """Wall-clock time the segment's last byte reached intake (for the publish → playlist
    latency)."""
