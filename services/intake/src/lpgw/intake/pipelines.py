"""Pipelines intake accepts and the model each uses when the application names none."""

from collections.abc import Mapping

from lpgw.intake.errors import NoDefaultModel

TEXT_TO_IMAGE = "text-to-image"

# The reference gateway's defaults (go-livepeer), used when `model_id` is absent.
REFERENCE_DEFAULT_MODELS: Mapping[str, str] = {
    "text-to-image": "stabilityai/sdxl-turbo",
    "image-to-image": "stabilityai/sdxl-turbo",
    "image-to-video": "stabilityai/stable-video-diffusion-img2vid-xt",
    "upscale": "stabilityai/stable-diffusion-x4-upscaler",
    "audio-to-text": "openai/whisper-large-v3",
    "segment-anything-2": "facebook/sam2-hiera-large",
    "llm": "meta-llama/llama-3.1-8B-Instruct",
    "image-to-text": "Salesforce/blip-image-captioning-large",
    "live-video-to-video": "noop",
    "text-to-speech": "parler-tts/parler-tts-large-v1",
}


def resolve_model(pipeline: str, requested: str | None, defaults: Mapping[str, str]) -> str:
    """The model to select orchestrators with and to forward.

    Absent and `""` (the SDK's default) both mean "the pipeline's default": the reference
    forwards `""` and then finds no orchestrator (ai-api.md §10 quirk 4).
    """
    if requested:
        return requested
    try:
        return defaults[pipeline]
    except KeyError:
        raise NoDefaultModel(pipeline) from None
