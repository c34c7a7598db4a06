"""The devnet's stand-in AI outputs are real media of the requested size or duration, and the
same inputs always give the same bytes (lpgw.devnet.ai)."""

import io
import json
import math
import wave
from fractions import Fraction

import av
import pytest
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame
from lpgw.devnet.ai.audio_to_text import audio_duration_s, audio_to_text
from lpgw.devnet.ai.captions import caption
from lpgw.devnet.ai.errors import InvalidPrompt, InvalidSize, UnreadableAudio, UnreadableImage
from lpgw.devnet.ai.image_files import image_size
from lpgw.devnet.ai.image_to_image import image_to_image
from lpgw.devnet.ai.image_to_text import image_to_text
from lpgw.devnet.ai.image_to_video import image_to_video
from lpgw.devnet.ai.llm import DONE, llm_response, llm_sse, llm_stream_events, llm_tokens
from lpgw.devnet.ai.segment_anything import LOW_RES, segment_anything_2
from lpgw.devnet.ai.text_to_speech import SAMPLE_RATE, speech_duration_s, text_to_speech
from lpgw.devnet.ai.upscale import MAX_OUTPUT_SIDE, upscale
from lpgw.devnet.errors import InvalidParameters
from lpgw.devnet.images import BLACK, WHITE, ink_for, render_png, scene
from PIL import Image, ImageChops, ImageStat

# --- real inputs, made here -------------------------------------------------------------------


def picture(width: int = 64, height: int = 48, fmt: str = "PNG") -> bytes:
    """A gradient with a bright block in one corner, so crops and resizes are visible."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [(x * 255 // width, y * 255 // height, 90) for y in range(height) for x in range(width)]
    )
    image.paste((255, 255, 255), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def flat(colour: tuple[int, int, int], width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def sine_pcm(seconds: float, frequency: float, rate: int) -> bytes:
    """16-bit little-endian mono samples of a sine tone."""
    return b"".join(
        round(8000 * math.sin(2 * math.pi * frequency * n / rate)).to_bytes(
            2, "little", signed=True
        )
        for n in range(round(seconds * rate))
    )


def sine_wav(seconds: float, frequency: float = 440.0, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(sine_pcm(seconds, frequency, rate))
    return out.getvalue()


def flac(seconds: float, rate: int = 16000) -> bytes:
    """Compressed audio encoded with PyAV, so duration is read by decoding, not from a header."""
    out = io.BytesIO()
    with av.open(out, "w", format="flac") as container:
        stream = container.add_stream("flac", rate=rate, layout="mono")
        pcm = sine_pcm(seconds, 300.0, rate)
        step = 4096
        for start in range(0, len(pcm) // 2, step):
            chunk = pcm[start * 2 : (start + step) * 2]
            frame = AudioFrame(format="s16", layout="mono", samples=len(chunk) // 2)
            frame.planes[0].update(chunk)
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


# --- text-to-image ------------------------------------------------------------------------------


def test_text_to_image_writes_the_prompt_on_a_picture_of_the_requested_size() -> None:
    image = open_png(render_png("a lighthouse at dawn", 7, 320, 96)).convert("RGB")

    written = ImageChops.difference(image, scene("a lighthouse at dawn", 7, 320, 96)).getbbox()

    assert image.size == (320, 96)
    assert written is not None  # the caption is the only difference from the bare scene
    left, top, right, bottom = written
    assert left < 4 + 320 // 16 + 2 and top < 4 + 96 // 16 + 2  # from the top left
    assert right - left > 60 and bottom - top < 96 // 2  # a line of text, not the picture


def test_text_to_image_is_deterministic_and_an_empty_prompt_writes_nothing() -> None:
    assert render_png("a fox", 3, 64, 48) == render_png("a fox", 3, 64, 48)
    assert render_png("a fox", 3, 64, 48) != render_png("a fox", 4, 64, 48)
    bare = open_png(render_png("", 3, 64, 48)).convert("RGB")
    assert ImageChops.difference(bare, scene("", 3, 64, 48)).getbbox() is None


def test_the_caption_is_the_text_and_wraps_to_the_width() -> None:
    def written(text: str, width: int = 240) -> tuple[int, int, int, int]:
        image = Image.new("RGB", (width, 120), WHITE)
        caption(image, text, BLACK, b"\0\0")
        box = ImageChops.difference(image, Image.new("RGB", (width, 120), WHITE)).getbbox()
        assert box is not None
        return box

    short, long = written("hi"), written("hello there")
    text = "one two three four five six"
    one_line, wrapped = written(text), written(text, 120)  # same font size: 120 // 12
    assert long[2] - long[0] > 2 * (short[2] - short[0])
    assert wrapped[3] - wrapped[1] > 1.5 * (one_line[3] - one_line[1])


@pytest.mark.parametrize(
    ("background", "ink"),
    [
        pytest.param((250, 240, 230), BLACK, id="light"),
        pytest.param((20, 30, 90), WHITE, id="dark"),
        pytest.param((0, 255, 0), BLACK, id="bright green"),
    ],
)
def test_the_caption_stands_out_from_the_background(
    background: tuple[int, int, int], ink: tuple[int, int, int]
) -> None:
    assert ink_for(background)[0] == ink


# --- image-to-image -----------------------------------------------------------------------------


def test_image_to_image_keeps_the_input_size_and_makes_n_distinct_pngs() -> None:
    pngs = image_to_image(picture(64, 48), "a red fox", 7, num_images=3)
    assert [open_png(png).size for png in pngs] == [(64, 48)] * 3
    assert len(set(pngs)) == 3
    assert pngs == image_to_image(picture(64, 48), "a red fox", 7, num_images=3)


def test_image_to_image_is_deterministic_in_prompt_and_seed() -> None:
    source = picture(fmt="JPEG")
    first = image_to_image(source, "a red fox", 7)[0]
    assert image_to_image(source, "a red fox", 7) == [first]
    assert image_to_image(source, "a red fox", 8)[0] != first
    assert image_to_image(source, "a blue whale", 7)[0] != first
    # Image n of a request is the first image of the request with seed + n.
    assert image_to_image(source, "a red fox", 6, num_images=2)[1] == first


def test_image_to_image_transforms_the_input_rather_than_replacing_it() -> None:
    source = open_png(picture(64, 48))
    out = open_png(image_to_image(picture(64, 48), "", 1, strength=0.2)[0])
    # The white corner block of the input still shows through the light tint.
    assert out.getpixel((2, 2)) != source.getpixel((40, 40))
    assert ImageStat.Stat(out.crop((0, 0, 16, 12))).mean[0] > 150


def test_image_to_image_honours_a_requested_size() -> None:
    png = image_to_image(picture(), "wide", 3, width=100, height=20)[0]
    assert open_png(png).size == (100, 20)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({"num_images": 0}, InvalidSize, id="no images"),
        pytest.param({"num_images": 9}, InvalidSize, id="too many images"),
        pytest.param({"width": 5000}, InvalidSize, id="too wide"),
    ],
)
def test_image_to_image_refuses_sizes_it_does_not_serve(
    kwargs: dict[str, int], error: type[Exception]
) -> None:
    with pytest.raises(error):
        image_to_image(picture(), "p", 1, **kwargs)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not an image at all", id="text"),
        pytest.param(picture()[:60], id="truncated png"),
    ],
)
def test_unreadable_images_are_a_typed_400(data: bytes) -> None:
    with pytest.raises(UnreadableImage) as caught:
        image_to_image(data, "p", 1)
    assert isinstance(caught.value, InvalidParameters)


def test_image_size_reads_the_header_for_units() -> None:
    assert image_size(picture(64, 48, "JPEG")) == (64, 48)


# --- upscale ------------------------------------------------------------------------------------


def test_upscale_really_resizes_four_times_by_default() -> None:
    source = picture(40, 30)
    out = open_png(upscale(source))
    assert out.size == (160, 120)
    # The same picture, bigger: the white corner block is still there, a quarter of each side.
    assert out.getpixel((10, 10)) == (255, 255, 255)
    assert out.getpixel((150, 110)) != (255, 255, 255)
    assert upscale(source) == upscale(source)
    assert open_png(upscale(source, factor=2)).size == (80, 60)


def test_upscale_is_bounded() -> None:
    side = MAX_OUTPUT_SIDE // 4 + 1
    with pytest.raises(InvalidSize):
        upscale(flat((0, 0, 0), side, 8))


# --- image-to-video -----------------------------------------------------------------------------


def decoded_video(data: bytes) -> tuple[list[VideoFrame], float, str]:
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert stream.duration is not None and stream.time_base is not None
        duration = float(stream.duration * stream.time_base)
        return frames, duration, stream.codec_context.name


def test_image_to_video_is_a_real_h264_mp4_of_25_frames() -> None:
    data = image_to_video(picture(64, 48), 5, width=96, height=64, fps=6)
    frames, duration, codec = decoded_video(data)
    assert codec == "h264"
    assert len(frames) == 25
    assert {(f.width, f.height) for f in frames} == {(96, 64)}
    assert duration == pytest.approx(25 / 6, abs=0.01)
    # It moves: the first and last frames differ.
    assert bytes(frames[0].planes[0]) != bytes(frames[-1].planes[0])


def test_image_to_video_is_deterministic_in_image_and_seed() -> None:
    clip = image_to_video(picture(), 5, width=64, height=48, fps=12)
    assert clip == image_to_video(picture(), 5, width=64, height=48, fps=12)
    assert clip != image_to_video(picture(), 6, width=64, height=48, fps=12)
    assert clip != image_to_video(flat((10, 200, 30), 64, 48), 5, width=64, height=48, fps=12)
    assert decoded_video(clip)[1] == pytest.approx(25 / 12, abs=0.01)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"width": 63}, id="odd width"),
        pytest.param({"height": 0}, id="no height"),
        pytest.param({"width": 4096}, id="too wide"),
        pytest.param({"fps": 0}, id="no fps"),
    ],
)
def test_image_to_video_refuses_sizes_h264_cannot_take(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidSize):
        image_to_video(picture(), 1, **{"width": 64, "height": 48, **kwargs})


# --- audio-to-text ------------------------------------------------------------------------------


def test_audio_to_text_chunks_cover_the_real_duration() -> None:
    audio = sine_wav(2.5)
    result = audio_to_text(audio)
    chunks = result["chunks"]
    assert isinstance(chunks, list)
    assert [c["timestamp"] for c in chunks] == [[0.0, 1.0], [1.0, 2.0], [2.0, 2.5]]
    assert all(c["text"] for c in chunks)
    assert result["text"] == " ".join(c["text"] for c in chunks)
    assert result == audio_to_text(audio)
    assert result["text"] != audio_to_text(sine_wav(2.5, 500.0))["text"]


def test_audio_duration_is_decoded_from_compressed_audio() -> None:
    audio = flac(1.5)
    assert audio_duration_s(audio) == pytest.approx(1.5, abs=0.001)
    chunks = audio_to_text(audio)["chunks"]
    assert isinstance(chunks, list)
    assert chunks[-1]["timestamp"] == [1.0, 1.5]


def test_audio_to_text_word_and_no_timestamps() -> None:
    audio = sine_wav(1.25)
    words = audio_to_text(audio, return_timestamps="word")
    chunks = words["chunks"]
    assert isinstance(chunks, list)
    assert " ".join(c["text"] for c in chunks) == words["text"]
    assert chunks[0]["timestamp"][0] == 0.0
    assert chunks[-1]["timestamp"][1] == 1.25
    ends = [c["timestamp"][1] for c in chunks]
    assert ends == sorted(ends)
    assert audio_to_text(audio, return_timestamps="false") == {"text": words["text"], "chunks": []}
    with pytest.raises(InvalidPrompt):
        audio_to_text(audio, return_timestamps="sometimes")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"RIFF\x00\x00garbage" * 10, id="garbage"),
        pytest.param(image_to_video(picture(), 1, width=32, height=32), id="video only"),
    ],
)
def test_unreadable_audio_is_a_typed_400(data: bytes) -> None:
    with pytest.raises(UnreadableAudio) as caught:
        audio_to_text(data)
    assert isinstance(caught.value, InvalidParameters)
    assert str(caught.value).startswith("Unable to calculate duration")


# --- llm ----------------------------------------------------------------------------------------

CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Tell me about orchestrators and tickets"},
]


def test_llm_tokens_come_from_the_prompt_and_respect_max_tokens() -> None:
    tokens = list(llm_tokens(CHAT, 256))
    assert len(tokens) == 8 + 2 * 9  # a natural length growing with the prompt's 9 words
    assert {t.strip() for t in tokens} <= {w for m in CHAT for w in m["content"].split()}
    assert tokens == list(llm_tokens(CHAT, 256))
    assert list(llm_tokens(CHAT, 5)) == tokens[:5]
    assert tokens != list(llm_tokens([{"role": "user", "content": "something else"}], 256))


def test_llm_response_is_the_reference_shape() -> None:
    response = llm_response(CHAT, model="m", max_tokens=4, response_id="chatcmpl-1", created=10)
    assert response["id"] == "chatcmpl-1"
    assert response["model"] == "m"
    assert response["created"] == 10
    assert response["usage"] == {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
    assert response["choices"] == [
        {
            "index": 0,
            "finish_reason": "length",
            "message": {"role": "assistant", "content": "".join(llm_tokens(CHAT, 4))},
        }
    ]
    full = llm_response(CHAT, model="m", response_id="x", created=0)
    choices = full["choices"]
    assert isinstance(choices, list)
    assert choices[0]["finish_reason"] == "stop"


def test_llm_stream_ends_with_a_chunk_holding_the_finish_reason_and_usage() -> None:
    events = list(llm_stream_events(CHAT, model="m", max_tokens=6, response_id="r", created=1))
    assert len(events) == 7
    deltas = [e["choices"][0] for e in events]  # type: ignore[index]
    assert [d["finish_reason"] for d in deltas] == [""] * 6 + ["length"]
    assert "".join(d["delta"]["content"] for d in deltas) == "".join(llm_tokens(CHAT, 6))
    assert events[-1]["usage"] == {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}
    assert {e["id"] for e in events} == {"r"}


def test_llm_stream_is_lazy_so_tokens_can_be_paced() -> None:
    events = llm_stream_events(CHAT, model="m", max_tokens=256, response_id="r", created=1)
    first = next(events)
    assert first["usage"]["completion_tokens"] == 1  # type: ignore[index]


def test_llm_sse_frames_each_event_and_ends_with_done_unless_asked_not_to() -> None:
    body = list(llm_sse(CHAT, model="m", max_tokens=3, response_id="r", created=1))
    assert body[-1] == DONE == b"data: [DONE]\n\n"
    payloads = [json.loads(line.removeprefix(b"data: ")) for line in body[:-1]]
    assert all(line.startswith(b"data: ") and line.endswith(b"\n\n") for line in body)
    assert payloads == list(
        llm_stream_events(CHAT, model="m", max_tokens=3, response_id="r", created=1)
    )
    reference = list(llm_sse(CHAT, model="m", max_tokens=3, response_id="r", created=1, done=False))
    assert reference == body[:-1]


@pytest.mark.parametrize(
    ("messages", "max_tokens"),
    [pytest.param([], 10, id="no messages"), pytest.param(CHAT, 0, id="no tokens")],
)
def test_llm_refuses_at_the_call_before_any_token(
    messages: list[dict[str, str]], max_tokens: int
) -> None:
    with pytest.raises(InvalidPrompt):
        llm_sse(messages, model="m", max_tokens=max_tokens, response_id="r", created=1)
    with pytest.raises(InvalidPrompt):
        llm_tokens(messages, max_tokens)


# --- segment-anything-2 -------------------------------------------------------------------------


def shape(value: object) -> list[int]:
    dims = []
    while isinstance(value, list):
        dims.append(len(value))
        value = value[0]
    return dims


def test_sam2_answers_stringified_arrays_of_the_reference_shapes() -> None:
    result = segment_anything_2(picture(40, 30), point_coords="[[10, 12]]", point_labels="[1]")
    assert set(result) == {"masks", "scores", "logits"}
    masks, scores, logits = (json.loads(result[k]) for k in ("masks", "scores", "logits"))
    assert shape(masks) == [3, 30, 40]
    assert shape(scores) == [3]
    assert shape(logits) == [3, LOW_RES, LOW_RES]
    assert all(0.5 <= s <= 1 for s in scores)
    # The prompted point is inside every mask (a positive logit), the far corner outside.
    assert all(m[12][10] > 0 for m in masks)
    assert all(m[29][39] < 0 for m in masks)
    # Python's list printing, as the runner's str(array.tolist()).
    assert result["scores"] == str(scores)


def test_sam2_box_single_mask_binary() -> None:
    result = segment_anything_2(
        picture(40, 30), box="[5, 5, 20, 15]", multimask_output=False, return_logits=False
    )
    masks = json.loads(result["masks"])
    assert shape(masks) == [1, 30, 40]
    assert {v for row in masks[0] for v in row} == {0.0, 1.0}
    assert masks[0][10][12] == 1.0
    assert masks[0][25][35] == 0.0


def test_sam2_is_deterministic_in_size_and_prompts() -> None:
    image = picture(40, 30)
    first = segment_anything_2(image, point_coords="[[10, 12]]")
    assert first == segment_anything_2(image, point_coords="[[10, 12]]")
    assert first != segment_anything_2(image, point_coords="[[30, 12]]")
    assert first != segment_anything_2(picture(48, 30), point_coords="[[10, 12]]")
    fractions = segment_anything_2(image, point_coords="[[0.25, 0.4]]", normalize_coords=False)
    assert fractions == first


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"point_coords": "[[1, 2"}, id="not json"),
        pytest.param({"point_coords": "[1, 2]"}, id="not Nx2"),
        pytest.param({"point_coords": "[[1, 2]]", "point_labels": "[1, 0]"}, id="label count"),
        pytest.param({"box": "[1, 2, 3]"}, id="short box"),
        pytest.param({"box": '[1, 2, 3, "x"]'}, id="box not numbers"),
    ],
)
def test_sam2_refuses_prompts_it_cannot_read(kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidPrompt):
        segment_anything_2(
            picture(),
            point_coords=kwargs.get("point_coords"),
            point_labels=kwargs.get("point_labels"),
            box=kwargs.get("box"),
        )


# --- image-to-text ------------------------------------------------------------------------------


def test_image_to_text_describes_the_image_and_continues_the_prompt() -> None:
    red = image_to_text(flat((210, 20, 25), 80, 40))["text"]
    assert red == "a wide 80x40 picture, mostly red, evenly lit"
    assert image_to_text(flat((210, 20, 25), 80, 40), "a photography of") == {
        "text": f"a photography of {red}"
    }
    assert (
        image_to_text(flat((30, 60, 200)))["text"]
        == "a square 32x32 picture, mostly blue, evenly lit"
    )
    assert image_to_text(picture(20, 60))["text"].startswith("a tall 20x60 picture")


# --- text-to-speech -----------------------------------------------------------------------------


def test_text_to_speech_is_a_real_wav_as_long_as_the_text() -> None:
    text = "Hello, devnet!"
    data = text_to_speech(text)
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        duration = wav.getnframes() / wav.getframerate()
    assert duration == pytest.approx(len(text) * 0.06) == speech_duration_s(text)
    # Other decoders agree: PyAV reads the same duration (what audio-to-text will measure).
    assert audio_duration_s(data) == pytest.approx(duration)
    assert audio_to_text(data)["chunks"][-1]["timestamp"][1] == round(duration, 2)  # type: ignore[index]


def test_text_to_speech_is_deterministic_in_text_and_speaker() -> None:
    data = text_to_speech("abc")
    assert data == text_to_speech("abc")
    assert data != text_to_speech("abd")
    assert data != text_to_speech("abc", "A calm female voice.")
    with wave.open(io.BytesIO(text_to_speech("")), "rb") as wav:
        assert wav.getnframes() == 0
