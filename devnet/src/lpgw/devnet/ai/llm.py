"""llm: a deterministic "model" that answers with words taken from the conversation.

`llm_tokens` is a generator, so the HTTP layer can pace tokens and a test can see the first
one reach the client before the last is produced. The answer's natural length grows with the
prompt; `max_tokens` cuts it, and the finish reason says which ended it ("stop" or "length"),
as an OpenAI-style server does. A token is a word (the first one bare, then " word"), and
prompt tokens are the words of every message, so `usage` is exact for this model.

Shapes (ai-api.md §2, §3.6): `llm_response` is the non-streaming LLMResponse
(`choices[0].message`); `llm_stream_events` the streaming chunks (`choices[0].delta`, one per
token, then a final chunk with an empty delta, the finish reason and the usage); `llm_sse` the
`text/event-stream` body.

`[DONE]` (quirk 7, W15): the runner and OpenAI-style clients end a stream with
`data: [DONE]`; the reference orchestrator and gateway do not (they stop after the chunk with a
finish reason). `llm_sse` sends it by default, as the better gateway will; `done=False` gives
the reference orchestrator's stream, so the gateway can be tested against both endings.
"""

import json
from collections.abc import Iterator, Mapping, Sequence

from lpgw.devnet.ai.errors import InvalidPrompt
from lpgw.devnet.ai.material import derive

DEFAULT_MAX_TOKENS = 256
BASE_ANSWER_TOKENS = 8
MAX_ANSWER_TOKENS = 512
DONE = b"data: [DONE]\n\n"
ROLE = "assistant"

Messages = Sequence[Mapping[str, str]]


def prompt_words(messages: Messages) -> list[str]:
    """Every message's words, in order: the prompt tokens. InvalidPrompt if there are none."""
    if not messages:
        raise InvalidPrompt("messages must not be empty")
    return [word for message in messages for word in message.get("content", "").split()]


def answer_length(messages: Messages) -> int:
    """Tokens the model would say unbounded: grows with the prompt, at most MAX_ANSWER_TOKENS."""
    return min(BASE_ANSWER_TOKENS + 2 * len(prompt_words(messages)), MAX_ANSWER_TOKENS)


def check_request(messages: Messages, max_tokens: int) -> None:
    """InvalidPrompt for what no answer can come from; the streaming functions call it before
    their first token, so a bad request fails before a 200 is sent."""
    prompt_words(messages)
    if max_tokens < 1:
        raise InvalidPrompt("max_tokens must be at least 1")


def llm_tokens(messages: Messages, max_tokens: int = DEFAULT_MAX_TOKENS) -> Iterator[str]:
    """The answer's tokens, at most `max_tokens`; joined they are the answer's text."""
    check_request(messages, max_tokens)
    return _tokens(messages, max_tokens)


def _tokens(messages: Messages, max_tokens: int) -> Iterator[str]:
    words = prompt_words(messages) or ["silence"]
    count = min(answer_length(messages), max_tokens)
    raw = derive("llm", json.dumps([dict(m) for m in messages], sort_keys=True), size=2 * count)
    for n in range(count):
        word = words[int.from_bytes(raw[2 * n : 2 * n + 2], "big") % len(words)]
        yield word if n == 0 else f" {word}"


def finish_reason(messages: Messages, max_tokens: int) -> str:
    """ "length" when max_tokens cut the answer, else "stop"."""
    return "length" if answer_length(messages) > max_tokens else "stop"


def usage(messages: Messages, completion_tokens: int) -> dict[str, int]:
    prompt = len(prompt_words(messages))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


def llm_response(
    messages: Messages,
    *,
    model: str,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    response_id: str,
    created: int,
) -> dict[str, object]:
    """The non-streaming LLMResponse; `response_id` and `created` come from the caller."""
    tokens = list(llm_tokens(messages, max_tokens))
    return {
        "id": response_id,
        "model": model,
        "created": created,
        "usage": usage(messages, len(tokens)),
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason(messages, max_tokens),
                "message": {"role": ROLE, "content": "".join(tokens)},
            }
        ],
    }


def llm_stream_events(
    messages: Messages,
    *,
    model: str,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    response_id: str,
    created: int,
) -> Iterator[dict[str, object]]:
    """The streaming LLMResponse chunks, produced lazily one token at a time.

    Every chunk carries `usage` (the schema requires it) with the tokens produced so far; only
    the final one has a non-empty finish_reason, after which a reader stops.
    """
    check_request(messages, max_tokens)
    return _events(messages, model, max_tokens, response_id, created)


def _events(
    messages: Messages, model: str, max_tokens: int, response_id: str, created: int
) -> Iterator[dict[str, object]]:
    produced = 0

    def chunk(content: str, reason: str) -> dict[str, object]:
        return {
            "id": response_id,
            "model": model,
            "created": created,
            "usage": usage(messages, produced),
            "choices": [
                {"index": 0, "finish_reason": reason, "delta": {"role": ROLE, "content": content}}
            ],
        }

    for token in _tokens(messages, max_tokens):
        produced += 1
        yield chunk(token, "")
    yield chunk("", finish_reason(messages, max_tokens))


def sse_event(payload: Mapping[str, object]) -> bytes:
    """One server-sent event: `data: <compact JSON>` and a blank line."""
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def llm_sse(
    messages: Messages,
    *,
    model: str,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    response_id: str,
    created: int,
    done: bool = True,
) -> Iterator[bytes]:
    """The `text/event-stream` body, event by event; `data: [DONE]` last unless `done=False`."""
    events = llm_stream_events(
        messages, model=model, max_tokens=max_tokens, response_id=response_id, created=created
    )
    return _framed(events, done)


def _framed(events: Iterator[dict[str, object]], done: bool) -> Iterator[bytes]:
    for event in events:
        yield sse_event(event)
    if done:
        yield DONE
