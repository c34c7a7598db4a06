"""Media urls in results: the session writes `/stream/{key}`; applications get absolute urls on
the delivery service."""

from typing import Any

STREAM_PREFIX = "/stream/"


def rehost_urls(response: dict[str, Any], media_base_url: str) -> dict[str, Any]:
    """A copy of `response` where every `url` under `/stream/`, at any depth, is prefixed with
    the delivery service's public base url. Other urls (already absolute) are kept."""
    base = media_base_url.rstrip("/")
    return {key: _rewrite(key, value, base) for key, value in response.items()}


def _rewrite(key: str | None, value: Any, base: str) -> Any:
    if key == "url" and isinstance(value, str) and value.startswith(STREAM_PREFIX):
        return base + value
    if isinstance(value, dict):
        return {k: _rewrite(k, v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(None, item, base) for item in value]
    return value
