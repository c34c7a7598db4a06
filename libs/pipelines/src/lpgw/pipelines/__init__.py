"""Every batch AI pipeline, declared once (issue 8): intake, session and devnet read the same
declaration, so the tenth pipeline is one entry in `catalogue.DECLARED`.

Pure: pydantic models and functions over them; no I/O, no media decoding.
"""

from lpgw.pipelines.async_results import (
    PREFER_ASYNC,
    AsyncAccepted,
    AsyncFailure,
    AsyncResult,
    AsyncResultRequest,
    AsyncStatus,
    ErrorMessage,
)
from lpgw.pipelines.catalogue import (
    DECLARED,
    PIPELINES,
    by_capability,
    by_path,
    catalogue,
)
from lpgw.pipelines.declaration import MP4, PNG, WAV, BodyKind, MediaKind, Pipeline
from lpgw.pipelines.diffusion import (
    ImageToImageParams,
    ImageToVideoParams,
    TextToImageParams,
    UpscaleParams,
)
from lpgw.pipelines.errors import (
    DuplicatePipeline,
    FileProblem,
    FileTooLarge,
    InputFactsMissing,
    InputRejected,
    MissingFile,
    PipelineError,
    UnknownPipeline,
    UnsupportedMediaType,
)
from lpgw.pipelines.inputs import NO_FACTS, FileField, InputFacts, UploadedFile
from lpgw.pipelines.llm import LLMRequest
from lpgw.pipelines.responses import (
    AudioResponse,
    Chunk,
    ImageResponse,
    ImageToTextResponse,
    LLMChoice,
    LLMMessage,
    LLMResponse,
    LLMTokenUsage,
    MasksResponse,
    Media,
    MediaURL,
    TextResponse,
    VideoResponse,
)
from lpgw.pipelines.speech import AudioToTextParams, TextToSpeechParams
from lpgw.pipelines.vision import ImageToTextParams, SegmentAnything2Params

__all__ = [
    "DECLARED",
    "MP4",
    "NO_FACTS",
    "PIPELINES",
    "PNG",
    "PREFER_ASYNC",
    "WAV",
    "AsyncAccepted",
    "AsyncFailure",
    "AsyncResult",
    "AsyncResultRequest",
    "AsyncStatus",
    "AudioResponse",
    "AudioToTextParams",
    "BodyKind",
    "Chunk",
    "DuplicatePipeline",
    "ErrorMessage",
    "FileField",
    "FileProblem",
    "FileTooLarge",
    "ImageResponse",
    "ImageToImageParams",
    "ImageToTextParams",
    "ImageToTextResponse",
    "ImageToVideoParams",
    "InputFacts",
    "InputFactsMissing",
    "InputRejected",
    "LLMChoice",
    "LLMMessage",
    "LLMRequest",
    "LLMResponse",
    "LLMTokenUsage",
    "MasksResponse",
    "Media",
    "MediaKind",
    "MediaURL",
    "MissingFile",
    "Pipeline",
    "PipelineError",
    "SegmentAnything2Params",
    "TextResponse",
    "TextToImageParams",
    "TextToSpeechParams",
    "UnknownPipeline",
    "UnsupportedMediaType",
    "UploadedFile",
    "UpscaleParams",
    "VideoResponse",
    "by_capability",
    "by_path",
    "catalogue",
]
