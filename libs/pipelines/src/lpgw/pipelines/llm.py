"""The `/llm` request and its units (ai-api.md §3.6): JSON, answered whole or as
server-sent events when `stream` is true. Units are `max_tokens`."""

from lpgw.pipelines.fields import JsonParams
from lpgw.pipelines.inputs import InputFacts
from lpgw.pipelines.responses import LLMMessage
from lpgw.pm.fees import llm_units
from pydantic import ConfigDict, Field

DEFAULT_MAX_TOKENS = 256
MAX_TOKENS_LIMIT = 131072
"""The default model's context length (Llama 3.1: 128 Ki tokens); it bounds one request's
units. The reference has no bound."""


class LLMRequest(JsonParams):
    """`messages` must not be empty; `model`, `stream` and `max_tokens` may be left out
    (defaults apply) but not null."""

    model_config = ConfigDict(title="LLMRequest")

    messages: list[LLMMessage] = Field(min_length=1)
    model: str = Field(
        default="", description='Model to run; absent or "" selects the default model.'
    )
    temperature: float = Field(default=0.7, ge=0)
    max_tokens: int = Field(default=DEFAULT_MAX_TOKENS, ge=1, le=MAX_TOKENS_LIMIT)
    top_p: float = Field(default=1.0, gt=0, le=1)
    top_k: int = Field(default=-1, ge=-1, description="-1: no top-k filtering.")
    stream: bool = Field(default=False, description="Answer as server-sent events.")


def llm_billing(request: LLMRequest, inputs: InputFacts) -> int:
    return llm_units(request.max_tokens)
