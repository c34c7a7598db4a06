"""An orchestrator's JSON answer, decoded so that a broken or hostile one is only invalid.

Whatever an orchestrator sends must end as an `InvalidResponse` (a failed attempt, paid as
spent), never as an exception that escapes the attempt: the job would be nak'ed, redelivered
and the same orchestrator paid again. Deep nesting is refused here rather than only where the
decoder gives up (~1000 levels): copying the answer and serializing the JobResult (pydantic
stops at a few hundred levels) recurse too.
"""

import json
from typing import Any

from lpgw.session.failures import InvalidResponse

MAX_DEPTH = 32
"""An ImageResponse is 3 levels deep; extra fields get ample room."""


def decode_answer(body: bytes) -> dict[str, Any]:
    """The JSON object of a 200 answer."""
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidResponse("response is not JSON") from exc
    if not isinstance(answer, dict):
        raise InvalidResponse("response is not a JSON object")
    if nesting_depth(answer) > MAX_DEPTH:
        raise InvalidResponse(f"response is nested deeper than {MAX_DEPTH} levels")
    return answer


def nesting_depth(value: object) -> int:
    """Levels of nested arrays and objects, counted without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest
