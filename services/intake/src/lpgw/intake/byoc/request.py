"""The application's `Livepeer` header → a checked BYOC job description. Pure.

The header is standard base64 of a JSON object: `request` (JSON object as text), `parameters`
(JobParameters as text), `capability`, `timeout_seconds`, optionally `id`. Where the reference
is needlessly strict or silent, the choices (quirk 10): a missing or empty `parameters` is
`"{}"`; the search-timeout headers are honoured within bounds.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from lpgw.bus.events import ByocSpec
from lpgw.intake.errors import InvalidJobRequest

LIVEPEER_HEADER = "Livepeer"
SEARCH_TIMEOUT_HEADER = "Livepeer-Orch-Search-Timeout"
SEARCH_RESPONSE_TIMEOUT_HEADER = "Livepeer-Orch-Search-Resp-Timeout"
DEFAULT_SEARCH_S = 1.0
DEFAULT_SEARCH_RESPONSE_S = 0.5
MAX_SEARCH_S = 10.0
MAX_TIMEOUT_S = 24 * 3600
"""A job longer than a day is a mistake, not a job: it would hold payment for that long."""
MAX_HEADER_BYTES = 64 * 1024
CAPABILITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
ROUTE = re.compile(r"^[A-Za-z0-9_.~/-]{0,512}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


@dataclass(frozen=True)
class JobHeaders:
    livepeer: str | None
    search_timeout: str | None = None
    search_response_timeout: str | None = None


def parse_job(route: str, headers: JobHeaders, content_type: str) -> ByocSpec:
    if not ROUTE.fullmatch(route) or ".." in route.split("/"):
        raise InvalidJobRequest(f"invalid route: {route!r}")
    fields = _header_fields(headers.livepeer)
    capability = fields.get("capability")
    if not isinstance(capability, str) or not CAPABILITY.fullmatch(capability):
        raise InvalidJobRequest("capability is required: the name of a registered BYOC capability")
    timeout = fields.get("timeout_seconds")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout == 0:
        raise InvalidJobRequest(
            "Unable to parse job request, err=no timeout_seconds set with request, "
            "timeout_seconds is required"
        )
    if not 0 < timeout <= MAX_TIMEOUT_S:
        raise InvalidJobRequest(f"timeout_seconds must be between 1 and {MAX_TIMEOUT_S}")
    request = _json_text(fields.get("request"), "request")
    parameters = fields.get("parameters") or "{}"
    parsed_parameters = _json_text(parameters, "parameters")
    include, exclude = _orchestrators(parsed_parameters)
    return ByocSpec(
        capability=capability,
        route=route,
        request=request,
        parameters=parameters,
        timeout_seconds=timeout,
        content_type=content_type,
        include=include,
        exclude=exclude,
        search_timeout_s=_duration(headers.search_timeout, DEFAULT_SEARCH_S),
        search_response_timeout_s=_duration(
            headers.search_response_timeout, DEFAULT_SEARCH_RESPONSE_S
        ),
    )


def _header_fields(value: str | None) -> dict[str, Any]:
    if not value:
        raise InvalidJobRequest(f"the {LIVEPEER_HEADER} header is required (base64 of a JSON job)")
    if len(value) > MAX_HEADER_BYTES:
        raise InvalidJobRequest(f"the {LIVEPEER_HEADER} header is larger than {MAX_HEADER_BYTES}")
    try:
        decoded = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        raise InvalidJobRequest(
            f"Unable to parse job request: the {LIVEPEER_HEADER} header is not base64 of JSON"
        ) from None
    if not isinstance(decoded, dict):
        raise InvalidJobRequest(f"the {LIVEPEER_HEADER} header must hold a JSON object")
    return decoded


def _json_text(value: Any, name: str) -> str:
    """A field that must be JSON-object text; returned as sent (it is signed as it is)."""
    if not isinstance(value, str):
        raise InvalidJobRequest(f'{name} must be a JSON object as a string, e.g. "{{}}"')
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise InvalidJobRequest(f"Unable to unmarshal job {name} err={exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidJobRequest(f"{name} must be a JSON object")
    return value


def _orchestrators(parameters: str) -> tuple[list[str], list[str]]:
    chosen = json.loads(parameters).get("orchestrators") or {}
    if not isinstance(chosen, dict):
        raise InvalidJobRequest("parameters.orchestrators must be an object")
    lists = []
    for key in ("include", "exclude"):
        urls = chosen.get(key) or []
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise InvalidJobRequest(f"parameters.orchestrators.{key} must be a list of URLs")
        lists.append(urls)
    return lists[0], lists[1]


def _duration(value: str | None, default: float) -> float:
    """A Go duration such as `1s` or `500ms`, within (0, 10 s]; the default when absent or
    unreadable (the reference always uses the default)."""
    match = _DURATION.fullmatch((value or "").strip())
    if match is None:
        return default
    amount = float(match.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match.group(2)]
    return min(amount, MAX_SEARCH_S) if amount > 0 else default
