"""Why a pipeline cannot produce its output from the input it was given.

All are `InvalidParameters`, so the devnet's single HTTP mapping answers 400, as a reference
orchestrator does for undecodable media and job sizes it cannot compute (wire.md §7.4 step 3).
"""

from lpgw.devnet.errors import InvalidParameters


class UnreadableImage(InvalidParameters):
    """The `image` part is not an image Pillow can decode, or is too large to decode."""


class UnreadableAudio(InvalidParameters):
    """The `audio` part has no decodable audio; the reference's text for it."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Unable to calculate duration: {detail}")


class InvalidSize(InvalidParameters):
    """A requested or resulting size the devnet will not produce (bounds, odd video sides)."""


class InvalidPrompt(InvalidParameters):
    """A prompt field that is not what the pipeline reads, e.g. SAM2 point arrays."""
