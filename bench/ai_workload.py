"""The mixed AI workload: one realistic request per pipeline, and the shares they are mixed in.

Every declared pipeline (`lpgw.pipelines.DECLARED`) has a kind here, llm two (a whole JSON
answer and a streamed one), each with the share of requests it has in the mix: chat and
text-to-image most, the heavy media pipelines least (a guess at real use, not a measurement of
it). Each request names
its model (the pipeline's declared default): the devnet runs what it is asked for, and the
direct path has no gateway to fill it in.

| kind | input | output (devnet) |
|---|---|---|
| text-to-image | 25-word prompt, 512×512 | a 512×512 PNG (flat shapes, ~68 KB) |
| image-to-image | 512×512 PNG (~440 KB) | a 512×512 PNG (~390 KB) |
| image-to-video | 1024×576 JPEG (~150 KB) | a 25-frame 1024×576 MP4 |
| upscale | 256×256 PNG (~110 KB) | a 1024×1024 PNG |
| audio-to-text | 20 s 16 kHz WAV (~640 KB) | the transcript, a chunk per second |
| llm | ~300-token conversation, 128 tokens out | the whole answer |
| llm (stream) | the same, `"stream": true` | 128 server-sent events |
| segment-anything-2 | 512×512 PNG (~440 KB), one point | one mask at full size, as text (~2.2 MB) |
| image-to-text | 1024×768 JPEG (~200 KB) | a caption |
| text-to-speech | two sentences (~150 characters) | a ~9 s WAV |

upscale gets 256×256 (×4 is 1024×1024): from 512×512 the devnet would write a 2048×2048 PNG
of several MB, half a second of its CPU per request. segment-anything-2 gets a 512×512
picture, not a 1024×768 photo: SAM2 answers its masks as text at the image's size (a
1024×768 mask is about 5.8 MB, which the gateway stores as a blob rather than one message),
and the first figures were taken at 512×512 (docs/performance.md).
"""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ai_inputs import Upload, picture, prose, speech
from lpgw.pipelines import PIPELINES


@dataclass(frozen=True)
class Request:
    """What one call posts: a JSON body, or form fields and files; `stream` for SSE answers."""

    pipeline: str
    json: dict[str, object] | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, Upload] = field(default_factory=dict)
    stream: bool = False

    @property
    def path(self) -> str:
        return PIPELINES[self.pipeline].path

    @property
    def model(self) -> str:
        """The model the request names (`model_id`, `model` for llm)."""
        named = self.json if self.json is not None else self.fields
        return str(named[PIPELINES[self.pipeline].model_field])

    @property
    def upload_bytes(self) -> int:
        return sum(len(upload.data) for upload in self.files.values())


@dataclass(frozen=True)
class Kind:
    """One row of the mix: its label, its share in percent and how request i is made."""

    label: str
    pipeline: str
    share: int
    make: Callable[[int], Request]


def _model(pipeline: str) -> str:
    return PIPELINES[pipeline].default_model


def _form(pipeline: str, **values: object) -> dict[str, str]:
    return {"model_id": _model(pipeline), **{k: str(v) for k, v in values.items()}}


def kinds() -> tuple[Kind, ...]:
    """The workload's kinds; the inputs are made here, once (about a second of CPU)."""
    square = picture(512, 512)
    small = picture(256, 256)
    wide = picture(1024, 576, "JPEG")
    photo = picture(1024, 768, "JPEG")
    audio = speech(20)
    system = prose(40, seed=1)

    def conversation(i: int, stream: bool) -> Request:
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": prose(200, seed=i)},
        ]
        body = {"model": _model("llm"), "messages": messages, "max_tokens": 128}
        return Request("llm", json={**body, "stream": True} if stream else body, stream=stream)

    def text_to_image(i: int) -> Request:
        body = {"model_id": _model("text-to-image"), "prompt": prose(25, seed=i), "seed": i}
        return Request("text-to-image", json={**body, "width": 512, "height": 512})

    return (
        Kind("text-to-image", "text-to-image", 26, text_to_image),
        Kind("llm", "llm", 20, lambda i: conversation(i, stream=False)),
        Kind("llm (stream)", "llm", 10, lambda i: conversation(i, stream=True)),
        Kind(
            "image-to-image",
            "image-to-image",
            10,
            lambda i: Request(
                "image-to-image",
                fields=_form("image-to-image", prompt=prose(12, seed=i), seed=i, strength=0.6),
                files={"image": square},
            ),
        ),
        Kind(
            "audio-to-text",
            "audio-to-text",
            8,
            lambda i: Request(
                "audio-to-text",
                fields=_form("audio-to-text", return_timestamps="true"),
                files={"audio": audio},
            ),
        ),
        Kind(
            "text-to-speech",
            "text-to-speech",
            7,
            lambda i: Request(
                "text-to-speech",
                json={"model_id": _model("text-to-speech"), "text": prose(26, seed=i)},
            ),
        ),
        Kind(
            "image-to-text",
            "image-to-text",
            6,
            lambda i: Request(
                "image-to-text", fields=_form("image-to-text", prompt=""), files={"image": photo}
            ),
        ),
        Kind(
            "upscale",
            "upscale",
            5,
            lambda i: Request(
                "upscale",
                fields=_form("upscale", prompt=prose(8, seed=i), seed=i),
                files={"image": small},
            ),
        ),
        Kind(
            "segment-anything-2",
            "segment-anything-2",
            5,
            lambda i: Request(
                "segment-anything-2",
                fields=_form(
                    "segment-anything-2",
                    point_coords=f"[[{100 + i % 300}, 250]]",
                    point_labels="[1]",
                    multimask_output="false",
                ),
                files={"image": square},
            ),
        ),
        Kind(
            "image-to-video",
            "image-to-video",
            3,
            lambda i: Request(
                "image-to-video",
                fields=_form("image-to-video", width=1024, height=576, fps=6, seed=i),
                files={"image": wide},
            ),
        ),
    )


def mix(workload: tuple[Kind, ...], n: int, seed: int = 8) -> list[Kind]:
    """`n` kinds in their shares (rounded, each at least once), shuffled: the interleaving."""
    total = sum(kind.share for kind in workload)
    order = [k for k in workload for _ in range(max(1, round(n * k.share / total)))]
    random.Random(seed).shuffle(order)
    return order
