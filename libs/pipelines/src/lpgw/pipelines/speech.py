"""Requests and units of the speech pipelines: audio-to-text and text-to-speech
(ai-api.md §3.5, §3.9; payments.md §8)."""

import json
from typing import Literal

from lpgw.pipelines.errors import InputRejected
from lpgw.pipelines.fields import FormParams, JsonParams, ModelId
from lpgw.pipelines.inputs import InputFacts
from lpgw.pm.fees import audio_to_text_units, text_to_speech_units
from pydantic import ConfigDict, Field

MIN_AUDIO_SECONDS = 1
"""The reference answers 400 for audio shorter than one second."""

DEFAULT_SPEAKER = (
    "A male speaker delivers a slightly expressive and animated speech with a moderate speed "
    "and pitch."
)


class AudioToTextParams(FormParams):
    """Form fields of `/audio-to-text`; the audio goes in the file part `audio`."""

    # The runner's `metadata` field is not here: the gateway sets it (the measured duration).

    model_config = ConfigDict(title="Body_genAudioToText")

    model_id: ModelId = ""
    return_timestamps: Literal["true", "sentence", "false", "word"] = Field(
        default="true", description="`true`/`sentence`, `false` or `word` timestamps."
    )


class TextToSpeechParams(JsonParams):
    """`text` is required and not empty (the spec's default `""` makes the runner fail)."""

    model_config = ConfigDict(title="TextToSpeechParams")

    model_id: ModelId = ""
    text: str = Field(min_length=1, description="The text to speak.")
    description: str = Field(default=DEFAULT_SPEAKER, description="The voice to speak it in.")


def audio_to_text_billing(request: AudioToTextParams, inputs: InputFacts) -> int:
    """Whole seconds × 1000; under a second is refused, as the reference does."""
    seconds = inputs.whole_seconds()
    if seconds < MIN_AUDIO_SECONDS:
        raise InputRejected(f"audio must last at least {MIN_AUDIO_SECONDS} s")
    return audio_to_text_units(seconds)


def text_to_speech_billing(request: TextToSpeechParams, inputs: InputFacts) -> int:
    """1000 × characters, the orchestrator's unit (quirk 8), not the reference gateway's
    UTF-8 bytes, so the two balances agree."""
    return text_to_speech_units(request.text)


def audio_to_text_metadata(inputs: InputFacts) -> dict[str, str]:
    """The runner's `metadata` form field as the reference gateway sets it: the measured
    duration in whole seconds, as text."""
    return {"metadata": json.dumps({"duration": str(inputs.whole_seconds())})}
