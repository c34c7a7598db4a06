"""Responses too large for a bus message are stored apart and the result names the blob."""

import json

from lpgw.blobs import BlobStore
from lpgw.bus.events import JobResult
from lpgw.session.large_results import SPILL_BYTES, spill_key, spilled


def result(response: dict[str, object]) -> JobResult:
    return JobResult(job_id="big1", ok=True, response=response, attempts=1)


async def test_a_small_response_stays_in_the_result(media: BlobStore) -> None:
    small = result({"text": "a caption"})
    assert await spilled(small, media) == small


async def test_a_large_response_is_stored_as_json_and_named(media: BlobStore) -> None:
    masks = "[" + ", ".join("-6.52" for _ in range(SPILL_BYTES // 5)) + "]"
    large = result({"masks": masks, "scores": "[0.9]", "logits": "[]"})

    stored = await spilled(large, media)

    assert stored.response is None
    assert stored.response_blob is not None
    assert stored.response_blob.key == spill_key("big1")
    assert "." in stored.response_blob.key.split("/")[0]  # a name delivery never serves
    data, content_type = await media.get(stored.response_blob.key)
    assert content_type == "application/json"
    assert json.loads(data) == large.response
    assert len(stored.model_dump_json()) < 1024


async def test_a_failed_result_is_left_alone(media: BlobStore) -> None:
    failed = JobResult(job_id="f1", ok=False, attempts=1)
    assert await spilled(failed, media) == failed
