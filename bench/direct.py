"""The direct path: what an application talking to an orchestrator itself sends (off-chain).

One GetOrchestrator per (pipeline, model) for an auth token and the transcoder URL, then every
request carries the segment credentials for its capability, an empty payment and the AI worker
authorization, so media answers come back as URLs on the orchestrator, as the gateway gets
them. Only an orchestrator that takes no payment (`--no-payments`) accepts this.
"""

from dataclasses import dataclass

from lpgw.wire.capabilities import ai_discovery_capabilities, ai_job_capabilities
from lpgw.wire.client import OrchestratorClient
from lpgw.wire.headers import (
    AI_WORKER_AUTHORIZATION,
    AUTHORIZATION_HEADER,
    PAYMENT_HEADER,
    SEGMENT_HEADER,
    encode_payment,
    encode_segment,
)
from lpgw.wire.orchestrator_request import build_orchestrator_request
from lpgw.wire.segdata import ai_segdata


@dataclass(frozen=True)
class Credentials:
    """Where to post a pipeline's requests and the headers they carry."""

    base_url: str
    headers: dict[str, str]


async def credentials(orchestrator: str, pipeline: str, model: str) -> Credentials:
    request = build_orchestrator_request(b"", b"", ai_discovery_capabilities(pipeline, model))
    info = await OrchestratorClient().get_orchestrator(orchestrator, request)
    capabilities = ai_job_capabilities(pipeline, model)
    segment = ai_segdata(pipeline, model, info.auth_token, capabilities, None)
    headers = {
        SEGMENT_HEADER: encode_segment(segment),
        PAYMENT_HEADER: encode_payment(None),
        AUTHORIZATION_HEADER: AI_WORKER_AUTHORIZATION,
    }
    return Credentials(info.transcoder, headers)
