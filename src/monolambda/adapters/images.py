"""Images, decoded and shaped the way a model's manifest says, with Pillow and numpy.

PNG, JPEG, WebP and GIF (first frame); EXIF orientation applied; converted to the model's colour
mode; light backgrounds inverted for models trained on ink-high data; optionally cropped to
the ink and centred (as scikit-learn's digits are); resized; scaled and normalised.

Memory: an image is decoded, shrunk at once to a working size and only then prepared, one
image at a time, so a request never holds more than one full-size bitmap (JPEGs are even
decoded at a reduced scale). Modes Pillow cannot shrink directly (palette, bilevel, 16-bit)
are converted a strip at a time rather than whole.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from monolambda.domain.errors import BadUserInputError
from monolambda.domain.models import InputSpec

FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_INK_THRESHOLD = 0.15
# Modes Pillow averages down in one step (Image.reduce) without a full-size copy first.
_REDUCIBLE = frozenset({"L", "RGB", "RGBX", "CMYK", "I", "F", "YCbCr"})
# Rows of a full-size image converted at once when its mode is not reducible.
_STRIP_ROWS = 64


@dataclass
class PillowBatch:
    array: Any  # numpy.ndarray shaped for the model's input
    count: int


class PillowImages:
    # Decompression bombs: a small file that would decode to a huge bitmap. 25 megapixels is
    # a 5000x5000 photo; Pillow's own warning threshold is 89 M, its error twice that. A
    # WebP decodes through three full-size buffers (11-16 bytes a pixel, against 1 to 4 for
    # the others), so it gets fewer (3000x2000): both keep one decoding near 100 MiB at most
    # (bench/amplification.py).
    MAX_PIXELS = 25_000_000
    MAX_WEBP_PIXELS = 6_000_000
    # The longer side an image is shrunk to right after decoding: well above any model's input
    # (28 to 224 pixels), so that cropping to the ink still has detail to work with.
    WORKING_SIDE = 1024

    def __init__(self, max_pixels: int = MAX_PIXELS) -> None:
        self._max_pixels = max_pixels

    def measure(self, data: bytes, which: str) -> tuple[int, int]:
        with _reading(which):
            width, height = self._open(data, which).size
        return width, height

    def prepare(self, images: Sequence[bytes], spec: InputSpec) -> PillowBatch:
        many = len(images) > 1
        rows = [
            self._one(data, spec, f"image {index + 1}" if many else "the image")
            for index, data in enumerate(images)
        ]
        return PillowBatch(array=np.stack(rows).astype(np.float32, copy=False), count=len(rows))

    def _one(self, data: bytes, spec: InputSpec, which: str) -> Any:
        with _reading(which):
            image = self._open(data, which)
            image.seek(0)  # an animated GIF or WebP: its first frame
            # JPEG only: decode straight at 1/2, 1/4 or 1/8 scale when that is still at least
            # the working size (a no-op for other formats).
            image.draft(image.mode, _fit(image.size, self.WORKING_SIDE))
            image.load()
            image = _shrunk(image, self.WORKING_SIDE)
            image = ImageOps.exif_transpose(image) or image
        pixels = _pixels(image, spec)
        if spec.layout == "NC":
            return pixels.reshape(-1)
        if spec.layout == "NCHW":
            return np.transpose(pixels, (2, 0, 1))
        return pixels  # NHWC

    def _open(self, data: bytes, which: str) -> Image.Image:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        width, height = image.size
        webp = image.format == "WEBP"
        limit = min(self._max_pixels, self.MAX_WEBP_PIXELS) if webp else self._max_pixels
        if width * height > limit:
            raise BadUserInputError(
                f"{which} is {width}x{height}: more than {limit} pixels"
                + (" (for a WebP image)" if webp else "")
            )
        return image


@contextmanager
def _reading(which: str) -> Iterator[None]:
    """Any failure while Pillow reads untrusted bytes is the sender's: BAD_USER_INPUT.

    Pillow's decoders and its EXIF parser raise a wide, undocumented range of exceptions on
    malformed input (OSError, SyntaxError, ValueError, struct.error, IndexError, ...) and warn
    about corrupt data rather than fail; both are refusals here.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield
    except (BadUserInputError, MemoryError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BadUserInputError(f"{which} has too many pixels") from e
    except UnidentifiedImageError as e:
        raise BadUserInputError(f"{which} is not a PNG, JPEG, WebP or GIF image") from e
    except Exception as e:  # see above: only Pillow runs inside
        raise BadUserInputError(f"{which} is truncated or corrupt") from e


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    """At most `side` on the longer edge, by box-averaging whole blocks of pixels."""
    factor = math.ceil(max(image.size) / side)
    if factor <= 1:
        return image
    if image.mode in _REDUCIBLE:
        return image.reduce(factor)
    # Transparency, palettes, bilevel and 16-bit: Pillow would first convert the whole image
    # (RGBA's reduce premultiplies a full-size copy). A strip at a time instead, flattened
    # onto white paper on the way, as _pixels would flatten it anyway.
    mode = _flat_mode(image)
    width, height = image.size
    shrunk = Image.new(mode, (math.ceil(width / factor), math.ceil(height / factor)))
    step = factor * max(1, _STRIP_ROWS // factor)
    for top in range(0, height, step):
        strip = _flattened(image.crop((0, top, width, min(height, top + step))), mode)
        shrunk.paste(strip.reduce(factor), (0, top // factor))
    shrunk.info = {k: v for k, v in image.info.items() if k != "transparency"}  # EXIF stays
    return shrunk


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode == "P" and "transparency" in image.info
    )


def _flat_mode(image: Image.Image) -> str:
    if image.mode in ("1", "L", "LA", "La"):
        return "L"
    if image.mode.startswith("I"):
        return "I"  # 16-bit greyscale and Pillow's other integer modes
    return "RGB"


def _flattened(image: Image.Image, mode: str) -> Image.Image:
    """`image` in `mode`, its transparent pixels made white paper (drawings on a canvas are
    usually transparent around the ink)."""
    if _has_alpha(image):
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    return image.convert(mode)


def _pixels(image: Image.Image, spec: InputSpec) -> Any:
    image = _flattened(image, spec.colour)
    if spec.background == "light":
        image = ImageOps.invert(image)
    if spec.fit == "ink":
        image = _fit_ink(image)
    resized = image.resize((spec.width, spec.height), Image.Resampling.BOX)
    pixels = np.asarray(resized, dtype=np.float32).reshape(spec.height, spec.width, -1)
    pixels *= spec.scale
    mean = np.asarray(spec.mean, dtype=np.float32)
    std = np.asarray(spec.std, dtype=np.float32)
    return (pixels - mean) / std


def _fit_ink(image: Image.Image) -> Image.Image:
    """Crop to the ink (after any inversion, ink is bright), pad to a centred square."""
    ink_only = image.convert("L").point(lambda v: 255 if v > _INK_THRESHOLD * 255 else 0)
    box = ink_only.getbbox()
    if box is None:
        return image  # a blank page: nothing to centre
    ink = image.crop(box)
    # No margin: scikit-learn's digits were scaled to touch their box (measured: a margin of
    # 1/8 of the side costs 25-45 points of accuracy on redrawn digits).
    side = max(ink.size)
    square = Image.new(image.mode, (side, side), 0)
    square.paste(ink, ((square.width - ink.width) // 2, (square.height - ink.height) // 2))
    return square
