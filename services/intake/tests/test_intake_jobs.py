"""The job intake publishes: resolved model written into the forwarded body, ids, deadline."""

import pytest
from lpgw.intake.errors import NoDefaultModel
from lpgw.intake.jobs import new_job_id, text_to_image_job
from lpgw.intake.pipelines import REFERENCE_DEFAULT_MODELS, resolve_model
from lpgw.intake.schemas import TextToImageParams


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        pytest.param(None, "stabilityai/sdxl-turbo", id="absent: reference default"),
        pytest.param("", "stabilityai/sdxl-turbo", id="empty string: default too (quirk 4)"),
        pytest.param("my/model", "my/model", id="named model kept"),
    ],
)
def test_model_resolution(requested: str | None, expected: str) -> None:
    assert resolve_model("text-to-image", requested, REFERENCE_DEFAULT_MODELS) == expected


def test_a_pipeline_without_default_needs_a_model() -> None:
    with pytest.raises(NoDefaultModel):
        resolve_model("text-to-image", "", {})


def test_job_carries_the_resolved_model_in_the_forwarded_body() -> None:
    params = TextToImageParams(prompt="a cat", model_id="")
    job = text_to_image_job(
        "abc", "inbox1", params, "stabilityai/sdxl-turbo", now=100.0, timeout_s=30.0
    )
    assert (job.job_id, job.inbox) == ("abc", "inbox1")
    assert job.pipeline == "text-to-image"
    assert job.model_id == "stabilityai/sdxl-turbo"
    assert job.request["model_id"] == "stabilityai/sdxl-turbo"
    assert job.deadline == 130.0


def test_job_ids_are_16_hex_digits_all_of_them_random() -> None:
    ids = [new_job_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 16 and set(i) <= set("0123456789abcdef") for i in ids)
    # 64 random bits: every position takes many values (a uuid4 prefix fixes position 12 to 4)
    assert all(len({i[pos] for i in ids}) > 8 for pos in range(16))
