"""Test images made on the spot with Pillow: digits drawn as users draw them, colours, and
things that are not quite images."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image


def encode(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def digit_drawing(
    pixels_8x8: Any, size: int, *, dark_on_light: bool = True, margin: float = 0.15
) -> Image.Image:
    """One of scikit-learn's 8x8 digits (0..16, ink high) redrawn as a size x size picture:
    upscaled smoothly, with a margin, dark ink on light paper unless told otherwise."""
    ink = np.asarray(pixels_8x8, dtype=np.float32).reshape(8, 8) / 16.0
    inner = max(8, int(size * (1 - 2 * margin)))
    glyph = Image.fromarray((ink * 255).astype(np.uint8), "L").resize(
        (inner, inner), Image.Resampling.BICUBIC
    )
    canvas = Image.new("L", (size, size), 0)
    canvas.paste(glyph, ((size - inner) // 2, (size - inner) // 2))
    if dark_on_light:
        canvas = Image.eval(canvas, lambda v: 255 - v)
    return canvas


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (300, 200)) -> Image.Image:
    return Image.new("RGB", size, colour)
