"""Which way an injected `/segment` failure shows (`--segment-failure-kind`).

A failure can reach a gateway as HTTP 500 before the segment is taken, or as a 200 whose
TranscodeResult carries the error; gateways must handle both. `alternate` gives each in turn,
starting with the TranscodeResult error, so a flaky devnet shows both deterministically.
"""

from typing import Literal

FailureKind = Literal["result", "http", "alternate"]


class InjectedFailures:
    def __init__(self, kind: FailureKind) -> None:
        self._kind = kind
        self._struck = 0

    def next_is_http(self) -> bool:
        """Whether the failure that just struck answers HTTP 500 (else a result error)."""
        struck, self._struck = self._struck, self._struck + 1
        if self._kind == "alternate":
            return struck % 2 == 1
        return self._kind == "http"
