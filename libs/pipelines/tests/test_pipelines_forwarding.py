"""What goes to orchestrators: the measured fields added to the forwarded form."""

import json

from lpgw.pipelines import PIPELINES, InputFacts


def test_audio_to_text_forwards_the_measured_duration_as_the_reference_does() -> None:
    pipeline = PIPELINES["audio-to-text"]
    request = pipeline.request.model_validate({})
    form = pipeline.forwarded_form(request, "openai/whisper-large-v3", InputFacts(duration_s=7))
    assert json.loads(form["metadata"]) == {"duration": "7"}
    assert form["model_id"] == "openai/whisper-large-v3"


def test_pipelines_without_measured_fields_forward_only_the_request() -> None:
    pipeline = PIPELINES["upscale"]
    request = pipeline.request.model_validate({"prompt": "p"})
    form = pipeline.forwarded_form(request, "m", InputFacts(width=8, height=8))
    assert "metadata" not in form
