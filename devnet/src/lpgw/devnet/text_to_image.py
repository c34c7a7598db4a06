"""`POST /text-to-image` on the orchestrator, in the reference's order of checks (wire.md §7.4).

0 body → 400, 1 payment → 402, 2 segment credentials → 403, 3 job size and units → 400,
4 bucket (sender, "27_<model>"), 5 capacity for (pipeline, model) → 503, 6 process the payment
→ 400, 7 balance below one ticket EV at a non-zero price → 400 `Insufficient balance`, 8 run
(injected failure → 500), 9 debit units × price, 10 → 200 JSON. Steps 4, 6, 7 and 9 happen
only when payments are on; off, the payment is decoded and ignored.
"""

import asyncio
import base64
import logging
import secrets
from dataclasses import dataclass

from lpgw.devnet.credentials import check_credentials
from lpgw.devnet.errors import InjectedFailure, InvalidParameters, RequestDecodeError
from lpgw.devnet.images import render_png
from lpgw.devnet.node import Node
from lpgw.pm.balances import ai_bucket
from lpgw.pm.fees import text_to_image_units
from lpgw.wire.capabilities import Capability
from lpgw.wire.headers import AI_WORKER_AUTHORIZATION, decode_payment
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

DEFAULT_SIDE = 512
MAX_IMAGES = 8
PNG = "image/png"

log = logging.getLogger(__name__)


class TextToImageParams(BaseModel):
    """The runner's TextToImageParams fields the devnet reads; others are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model_id: StrictStr = ""
    prompt: StrictStr = ""
    width: StrictInt | None = None
    height: StrictInt | None = None
    seed: StrictInt | None = None
    num_images_per_prompt: StrictInt | None = None


@dataclass(frozen=True)
class ImageJob:
    model: str
    prompt: str
    width: int
    height: int
    seeds: tuple[int, ...]

    @property
    def units(self) -> int:
        """Billable units (ai-api.md §3.11): height × width × images."""
        return text_to_image_units(self.height, self.width, len(self.seeds))


@dataclass(frozen=True)
class RequestHeaders:
    segment: str
    payment: str
    authorization: str


def decode_params(body: bytes) -> TextToImageParams:
    try:
        return TextToImageParams.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RequestDecodeError(f"{where}: {first['msg']}" if where else first["msg"]) from exc


def plan(params: TextToImageParams, max_side: int) -> ImageJob:
    """Sizes with the reference defaults (512 × 512, one image) and bounds the devnet can serve."""
    width = DEFAULT_SIDE if params.width is None else params.width
    height = DEFAULT_SIDE if params.height is None else params.height
    for name, side in (("width", width), ("height", height)):
        if not 0 < side <= max_side:
            raise InvalidParameters(f"{name} must be between 1 and {max_side}")
    count = max(params.num_images_per_prompt or 1, 1)
    if count > MAX_IMAGES:
        raise InvalidParameters(f"num_images_per_prompt must be at most {MAX_IMAGES}")
    seed = secrets.randbelow(2**32) if params.seed is None else params.seed
    return ImageJob(
        model=params.model_id,
        prompt=params.prompt,
        width=width,
        height=height,
        seeds=tuple(seed + n for n in range(count)),
    )


def _render_all(job: ImageJob) -> list[bytes]:
    return [render_png(job.prompt, seed, job.width, job.height) for seed in job.seeds]


class TextToImage:
    def __init__(self, node: Node) -> None:
        self._node = node

    async def handle(self, body: bytes, headers: RequestHeaders) -> dict[str, object]:
        """The ImageResponse JSON for one request; raises DevnetError, lpgw.wire's or lpgw.pm's
        errors."""
        node = self._node
        params = decode_params(body)
        payment = decode_payment(headers.payment)
        check_credentials(node, headers.segment, payment)
        job = plan(params, node.max_image_side)
        bucket = ai_bucket(Capability.TEXT_TO_IMAGE, job.model)
        payments = node.payments
        with node.slots.reserve(job.model):
            charge = None
            if payments is not None:
                quote = node.prices.model_price(Capability.TEXT_TO_IMAGE, job.model)
                charge = await payments.receive(payment, bucket, quote)
            await node.faults.delay()
            if node.faults.strikes():
                raise InjectedFailure()
            pngs = await asyncio.to_thread(_render_all, job)
            if payments is not None and charge is not None:
                await payments.debit(charge, job.units)
        request_id = secrets.token_hex(8)
        log.info(
            "text_to_image_done",
            extra={"request_id": request_id, "model": job.model, "images": len(pngs)},
        )
        return {
            "images": [
                self._media(request_id, n, png, job.seeds[n], headers) for n, png in enumerate(pngs)
            ]
        }

    def _media(
        self, request_id: str, n: int, png: bytes, seed: int, headers: RequestHeaders
    ) -> dict[str, object]:
        if headers.authorization == AI_WORKER_AUTHORIZATION:
            name = f"{n}.png"
            self._node.media.put(request_id, name, png, PNG)
            url = f"{self._node.service_uri}/stream/{request_id}/{name}"
        else:
            url = f"data:{PNG};base64,{base64.b64encode(png).decode()}"
        return {"url": url, "seed": seed, "nsfw": False}
