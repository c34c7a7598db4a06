"""Response bodies of the batch pipelines (ai-api.md §2), as applications receive them.

Field names and shapes are the gateway spec's, so the livepeer-ai SDK parses them unchanged.
Unknown fields from orchestrators are ignored rather than passed on.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Media(_Response):
    url: str
    seed: int
    nsfw: bool


class MediaURL(_Response):
    url: str


class ImageResponse(_Response):
    images: list[Media]


class VideoResponse(_Response):
    """One Media per video (the orchestrator assembles the runner's frames into an .mp4)."""

    images: list[Media]


class Chunk(_Response):
    timestamp: list[Any] = Field(description="Usually [start, end] in seconds.")
    text: str


class TextResponse(_Response):
    text: str
    chunks: list[Chunk]


class MasksResponse(_Response):
    """Stringified arrays, as the runner returns them."""

    masks: str
    scores: str
    logits: str


class ImageToTextResponse(_Response):
    text: str


class AudioResponse(_Response):
    audio: MediaURL


class LLMMessage(BaseModel):
    """A chat message; used in `/llm` requests as well as in responses."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    role: str
    content: str


class LLMChoice(_Response):
    index: int
    finish_reason: str = ""
    delta: LLMMessage | None = Field(default=None, description="Streaming chunks only.")
    message: LLMMessage | None = Field(default=None, description="Non-streaming only.")


class LLMTokenUsage(_Response):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class LLMResponse(_Response):
    """The whole answer, or one server-sent event of a stream (`choices[].delta`)."""

    id: str
    model: str
    created: int
    usage: LLMTokenUsage
    choices: list[LLMChoice]
