"""Deterministic pseudo-random material from a request's inputs.

Every generator draws its choices (colours, motion, words, pitches) from SHAKE-256 over a
label and the inputs, so outputs depend only on the inputs and two pipelines fed the same
inputs still draw different material.
"""

import hashlib

Part = bytes | str | int


def _encode(part: Part) -> bytes:
    if isinstance(part, bytes):
        raw = part
    elif isinstance(part, str):
        raw = part.encode()
    else:
        raw = str(part).encode()
    return len(raw).to_bytes(8, "big") + raw


def derive(label: str, *parts: Part, size: int = 32) -> bytes:
    """`size` bytes determined by the label and the parts (length-prefixed, so unambiguous)."""
    shake = hashlib.shake_256(_encode(label))
    for part in parts:
        shake.update(_encode(part))
    return shake.digest(size)


def fraction(raw: bytes) -> float:
    """A value in [0, 1) from bytes, for positions and amounts."""
    return int.from_bytes(raw, "big") / (1 << (8 * len(raw)))
