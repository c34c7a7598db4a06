"""The error envelope every HTTP answer of the gateway uses. Pure: reply mapping in a
service's core builds bodies with it without importing a web framework.

`{"error": {"message": m}, "detail": {"msg": m}}` satisfies both kinds of client: go-livepeer
apps read `error.message`, the `livepeer-ai` SDK reads `detail.msg`. Extra fields (a refused
limit, say) go beside the message under `error`.
"""

from typing import Any

INTERNAL_ERROR = "Internal Server Error"


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, **extra}, "detail": {"msg": message}}
