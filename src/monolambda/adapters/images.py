"""Images, decoded and shaped the way a model's manifest says, with Pillow and numpy.

PNG, JPEG, WebP and GIF (first frame); EXIF orientation applied; converted to the model's colour
mode; light backgrounds inverted for models trained on ink-high data; optionally cropped to
the ink and centred (as scikit-learn's digits are); resized; scaled and normalised.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from monolambda.domain.errors import BadUserInputError
from monolambda.domain.models import InputSpec

FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
# Decompression bombs: a small file that would decode to a huge bitmap. 25 megapixels is a
# 5000x5000 photo; Pillow's own warning threshold is 89 M, its error twice that.
MAX_PIXELS = 25_000_000
_INK_THRESHOLD = 0.15


@dataclass
class PillowBatch:
    array: Any  # numpy.ndarray shaped for the model's input
    count: int


class PillowImages:
    def __init__(self, max_pixels: int = MAX_PIXELS) -> None:
        self._max_pixels = max_pixels

    def prepare(self, images: Sequence[bytes], spec: InputSpec) -> PillowBatch:
        rows = [self._one(index, data, spec) for index, data in enumerate(images)]
        return PillowBatch(array=np.stack(rows).astype(np.float32, copy=False), count=len(rows))

    def _one(self, index: int, data: bytes, spec: InputSpec) -> Any:
        which = f"image {index + 1}" if index else "the image"
        image = self._decode(data, which)
        pixels = self._pixels(image, spec)
        if spec.layout == "NC":
            return pixels.reshape(-1)
        if spec.layout == "NCHW":
            return np.transpose(pixels, (2, 0, 1))
        return pixels  # NHWC

    def _decode(self, data: bytes, which: str) -> Image.Image:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data), formats=FORMATS)
                width, height = image.size
                too_big = width * height > self._max_pixels
                if not too_big:
                    image.seek(0)  # an animated GIF: its first frame
                    image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise BadUserInputError(f"{which} has too many pixels") from e
        except UnidentifiedImageError as e:
            raise BadUserInputError(f"{which} is not a PNG, JPEG, WebP or GIF image") from e
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            raise BadUserInputError(f"{which} is truncated or corrupt") from e
        if too_big:
            raise BadUserInputError(
                f"{which} is {width}x{height}: more than {self._max_pixels} pixels"
            )
        return ImageOps.exif_transpose(image) or image

    @staticmethod
    def _pixels(image: Image.Image, spec: InputSpec) -> Any:
        if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        ):
            # Transparent pixels become the paper: white (drawings on a canvas are usually so).
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, image.convert("RGBA"))
        image = image.convert(spec.colour)
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
    grey = np.asarray(image.convert("L"), dtype=np.float32) / 255
    rows = np.flatnonzero((grey > _INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((grey > _INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        return image  # a blank page: nothing to centre
    box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    ink = image.crop(box)
    # No margin: scikit-learn's digits were scaled to touch their box (measured: a margin of
    # 1/8 of the side costs 25-45 points of accuracy on redrawn digits).
    side = max(ink.size)
    square = Image.new(image.mode, (side, side), 0)
    square.paste(ink, ((square.width - ink.width) // 2, (square.height - ink.height) // 2))
    return square
