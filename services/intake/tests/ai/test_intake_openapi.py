"""`/openapi.json`: every route an application calls, request bodies under the ai-runner
spec's schema names with the reference's field names (ai-api.md §3), error envelopes, and a
document that is valid OpenAPI with no dangling reference. No server is needed: the document
is served without the lifespan."""

from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from lpgw.intake.app import create_app
from lpgw.intake.settings import IntakeSettings
from lpgw.pipelines import DECLARED

SCHEMA_NAMES = {
    "/text-to-image": ("application/json", "TextToImageParams"),
    "/image-to-image": ("multipart/form-data", "Body_genImageToImage"),
    "/image-to-video": ("multipart/form-data", "Body_genImageToVideo"),
    "/upscale": ("multipart/form-data", "Body_genUpscale"),
    "/audio-to-text": ("multipart/form-data", "Body_genAudioToText"),
    "/llm": ("application/json", "LLMRequest"),
    "/segment-anything-2": ("multipart/form-data", "Body_genSegmentAnything2"),
    "/image-to-text": ("multipart/form-data", "Body_genImageToText"),
    "/text-to-speech": ("application/json", "TextToSpeechParams"),
}
"""The spec's request schema of every pipeline (ai-runner gateway spec v0.14.1)."""

FIELDS = {
    "TextToImageParams": {
        "model_id",
        "loras",
        "prompt",
        "height",
        "width",
        "guidance_scale",
        "negative_prompt",
        "safety_check",
        "seed",
        "num_inference_steps",
        "num_images_per_prompt",
    },
    "Body_genImageToImage": {
        "prompt",
        "image",
        "model_id",
        "loras",
        "strength",
        "guidance_scale",
        "image_guidance_scale",
        "negative_prompt",
        "safety_check",
        "seed",
        "num_inference_steps",
        "num_images_per_prompt",
    },
    "Body_genImageToVideo": {
        "image",
        "model_id",
        "height",
        "width",
        "fps",
        "motion_bucket_id",
        "noise_aug_strength",
        "safety_check",
        "seed",
        "num_inference_steps",
    },
    "Body_genUpscale": {
        "prompt",
        "image",
        "model_id",
        "safety_check",
        "seed",
        "num_inference_steps",
    },
    "Body_genAudioToText": {"audio", "model_id", "return_timestamps"},
    "LLMRequest": {"messages", "model", "temperature", "max_tokens", "top_p", "top_k", "stream"},
    "Body_genSegmentAnything2": {
        "image",
        "model_id",
        "point_coords",
        "point_labels",
        "box",
        "mask_input",
        "multimask_output",
        "return_logits",
        "normalize_coords",
    },
    "Body_genImageToText": {"image", "prompt", "model_id"},
    "TextToSpeechParams": {"model_id", "text", "description"},
}
"""Field names of each request schema, as ai-api.md §3 lists them."""

FILE_PARTS = {
    "Body_genImageToImage": "image",
    "Body_genImageToVideo": "image",
    "Body_genUpscale": "image",
    "Body_genAudioToText": "audio",
    "Body_genSegmentAnything2": "image",
    "Body_genImageToText": "image",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(IntakeSettings.model_validate({"intake_ai_auth": "none"}))
    return app.openapi()


def test_the_table_covers_every_declared_pipeline() -> None:
    assert sorted(SCHEMA_NAMES) == sorted(p.path for p in DECLARED)


def test_every_application_route_is_listed(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path in SCHEMA_NAMES:
        assert "post" in paths[path], path
    assert {"get", "post"} <= set(paths["/image-to-video/result"])
    assert "post" in paths["/process/request/{route}"]
    byoc_headers = paths["/process/request/{route}"]["post"]["parameters"]
    assert {"name": "Livepeer", "in": "header"}.items() <= next(
        p for p in byoc_headers if p["name"] == "Livepeer"
    ).items()


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("path", "content_type", "name"), [(p, *v) for p, v in SCHEMA_NAMES.items()]
)
def test_request_bodies_use_the_spec_schema_names(
    path: str, content_type: str, name: str, document: dict[str, Any]
) -> None:
    body = document["paths"][path]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"] == {content_type: {"schema": {"$ref": f"#/components/schemas/{name}"}}}
    schema = document["components"]["schemas"][name]
    assert set(schema["properties"]) == FIELDS[name]


@pytest.mark.parametrize(("name", "part"), FILE_PARTS.items())
def test_file_parts_are_required_binary_strings(
    name: str, part: str, document: dict[str, Any]
) -> None:
    schema = document["components"]["schemas"][name]
    assert schema["properties"][part]["type"] == "string"
    assert schema["properties"][part]["format"] == "binary"
    assert part in schema["required"]


def test_required_fields_and_defaults_follow_the_reference(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    text_to_image = schemas["TextToImageParams"]
    assert text_to_image["required"] == ["prompt"]
    assert text_to_image["properties"]["num_images_per_prompt"]["default"] == 1
    assert (
        text_to_image["properties"]["height"]["default"],
        text_to_image["properties"]["width"]["default"],
    ) == (512, 512)
    assert schemas["LLMRequest"]["required"] == ["messages"]
    assert schemas["LLMRequest"]["properties"]["max_tokens"]["default"] == 256
    assert schemas["LLMRequest"]["properties"]["messages"]["items"] == {
        "$ref": "#/components/schemas/LLMMessage"
    }
    assert set(schemas["LLMMessage"]["properties"]) == {"role", "content"}
    assert schemas["TextToSpeechParams"]["required"] == ["text"]


def test_errors_are_documented_with_both_envelopes(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["HTTPError"]["properties"]) == {"error", "detail"}
    for path in [*SCHEMA_NAMES, "/process/request/{route}"]:
        responses = document["paths"][path]["post"]["responses"]
        for status in ("400", "401", "413", "415", "500", "503"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/HTTPError"}, (path, status)
        validation = responses["422"]["content"]["application/json"]["schema"]
        assert validation == {"$ref": "#/components/schemas/HTTPValidationError"}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"a reference outside the document: {ref}"
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    refs = set(_refs(document))
    assert "#/components/schemas/TextToImageParams" in refs
    dangling = [ref for ref in sorted(refs) if not _can_resolve(document, ref)]
    assert dangling == []


def _can_resolve(document: dict[str, Any], ref: str) -> bool:
    try:
        _resolve(document, ref)
    except (KeyError, AssertionError):
        return False
    return True


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(document).validate()


def test_every_component_is_a_valid_json_schema(document: dict[str, Any]) -> None:
    for name, schema in document["components"]["schemas"].items():
        try:
            jsonschema_rs.meta.validate(schema)
        except jsonschema_rs.ValidationError as exc:
            pytest.fail(f"{name}: {exc}")


async def test_the_document_is_served(document: dict[str, Any]) -> None:
    app = create_app(IntakeSettings.model_validate({"intake_ai_auth": "none"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == document
