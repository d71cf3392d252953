"""Images, decoded and shaped the way a model's manifest says, with Pillow and numpy.

PNG, JPEG, WebP and GIF (first frame); EXIF orientation applied; transparency made paper;
converted to the model's colour mode; light paper inverted for models trained on ink-high data
(always, or when the picture's edge is light); optionally the paper levelled to 0 and the ink
stretched to full strength (a photo's paper at every pixel, under light and shadow, printed
lines taken off: adapters.paper); optionally cropped to the ink, scaled into a box and centred on
the box or on the ink's centre of mass (as scikit-learn's and MNIST's digits are); resized;
scaled and normalised.

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
from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError

from monolambda.adapters import paper as photos
from monolambda.domain.errors import BadUserInputError
from monolambda.domain.models import InputSpec

FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_INK_THRESHOLD = 0.15
# Transparency becomes paper that contrasts with what is drawn, unless most of the picture is
# opaque (then the opaque part is a page of its own, and transparency takes its shade).
_INK_AT_MOST = 0.5
_OPAQUE = 0.5  # alpha from which a pixel counts as drawn
_MID_GREY = 127  # above: light
# A photo's paper is levelled, and its ink found, at most this many pixels a side.
_PHOTO_READ = 400
# `paper: uneven` reads pictures at least this large a side as photos (_uneven).
_PHOTO_SIDE = 64
# Ink stands this far above the paper's noise (its 99.5th percentile) at least.
_NOISE_QUANTILE = 0.995
_NOISE_MARGIN = 1.5
_NOISE_SPREAD = 4.0
# Paper is clean when this share of it is within _CLEAN_PAPER grey levels of black (ink high).
_CLEAN_QUANTILE = 0.9
_CLEAN_PAPER = 2
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
            self._one(data, spec, f"images[{index}]" if many else "the image")
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
            paper = _paper_for(image)
            image = _shrunk(image, self.WORKING_SIDE, paper)
            image = ImageOps.exif_transpose(image) or image
        pixels = _pixels(image, spec, paper)
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


def _shrunk(image: Image.Image, side: int, paper: int) -> Image.Image:
    """At most `side` on the longer edge, by box-averaging whole blocks of pixels."""
    factor = math.ceil(max(image.size) / side)
    if factor <= 1:
        return image
    if image.mode in _REDUCIBLE:
        return image.reduce(factor)
    # Transparency, palettes, bilevel and 16-bit: Pillow would first convert the whole image
    # (RGBA's reduce premultiplies a full-size copy). A strip at a time instead, flattened
    # onto the paper on the way, as _pixels would flatten it anyway.
    mode = _flat_mode(image)
    width, height = image.size
    shrunk = Image.new(mode, (math.ceil(width / factor), math.ceil(height / factor)))
    step = factor * max(1, _STRIP_ROWS // factor)
    for top, strip in _strips(image, step):
        shrunk.paste(_flattened(strip, mode, paper).reduce(factor), (0, top // factor))
    shrunk.info = {k: v for k, v in image.info.items() if k != "transparency"}  # EXIF stays
    return shrunk


def _strips(image: Image.Image, rows: int) -> Iterator[tuple[int, Image.Image]]:
    width, height = image.size
    for top in range(0, height, rows):
        yield top, image.crop((0, top, width, min(height, top + rows)))


def _paper_for(image: Image.Image) -> int:
    """The grey level transparent pixels become: white behind dark drawing, black behind
    light drawing (a canvas is often transparent around the strokes, whatever their colour)."""
    if not _has_alpha(image):
        return 255
    opaque = weight = shade = 0.0
    for _, strip in _strips(image, _STRIP_ROWS):
        grey, alpha = np.asarray(strip.convert("LA"), dtype=np.float32).transpose(2, 0, 1)
        alpha /= 255
        opaque += float(np.count_nonzero(alpha >= _OPAQUE))
        weight += float(alpha.sum())
        shade += float((grey * alpha).sum())
    if weight == 0:
        return 255  # nothing drawn: a blank sheet
    light_drawing = shade / weight > _MID_GREY
    drawing_is_ink = opaque / (image.width * image.height) <= _INK_AT_MOST
    return 0 if light_drawing == drawing_is_ink else 255


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


def _flattened(image: Image.Image, mode: str, paper: int) -> Image.Image:
    """`image` in `mode`, its transparent pixels made paper of the grey level `paper`."""
    if _has_alpha(image):
        sheet = Image.new("RGBA", image.size, (paper, paper, paper, 255))
        image = Image.alpha_composite(sheet, image.convert("RGBA"))
    return image.convert(mode)


def _pixels(image: Image.Image, spec: InputSpec, paper: int) -> Any:
    image = _flattened(image, spec.colour, paper)
    if spec.fit == "ink":
        ink, gain = _ink_high(image, spec)
        pixels = _fit_ink(ink, gain, spec)
    else:
        if spec.background == "light" or (spec.background == "auto" and _edge_is_light(image)):
            image = ImageChops.invert(image)
        resized = image.resize((spec.width, spec.height), Image.Resampling.BOX)
        pixels = np.asarray(resized, dtype=np.float32).reshape(spec.height, spec.width, -1)
    pixels *= spec.scale
    mean = np.asarray(spec.mean, dtype=np.float32)
    std = np.asarray(spec.std, dtype=np.float32)
    return (pixels - mean) / std


def _edge_level(pixels: Any) -> Any:
    """Per channel, the median of the picture's outermost rows and columns: its paper."""
    edge = np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])
    middle = len(edge) // 2
    return np.partition(edge, middle, axis=0)[middle]  # np.median's overhead, 20 us, spared


def _edge_is_light(image: Image.Image) -> bool:
    return float(_edge_level(np.asarray(image.convert("L")))) > _MID_GREY


def _ink_high(image: Image.Image, spec: InputSpec) -> tuple[Any, Any]:
    """The picture as float pixels (height x width x channels), ink bright, and with
    `contrast: stretch` its paper levelled to 0 and its strongest ink at 255: by the edge's
    level for a drawing, by the paper's level at each pixel for a photo (adapters.paper).
    With them, for a photo, how much more the levelling magnified each pixel than the typical
    paper (height x width; None for a drawing)."""
    pixels = np.asarray(image, dtype=np.float32).reshape(image.height, image.width, -1)
    paper = _edge_level(pixels)
    light = spec.background == "light" or (
        spec.background == "auto" and float(np.mean(paper)) > _MID_GREY
    )
    photo = (
        spec.contrast == "stretch"
        and _uneven(pixels, spec)
        and not photos.flat(255 - pixels if light else pixels)
    )
    if photo and spec.background == "auto":
        # A shadow can darken the whole edge: the ink's side of its own paper decides.
        light = photos.ink_is_dark(pixels)
    if light:
        pixels, paper = 255 - pixels, 255 - paper
    if photo:
        # A photo is read at most _PHOTO_READ a side: a 28-pixel input needs no more, and the
        # levelling's time goes with the pixels.
        factor = math.ceil(max(image.size) / _PHOTO_READ)
        if factor > 1:
            pixels = _reduced(pixels, factor)
        ink, gain = photos.levelled_and_gain(pixels)
        return _stretched(ink, floor=np.zeros(1, dtype=np.float32)), gain
    if spec.contrast == "stretch":
        pixels = _stretched(pixels, floor=paper)
    return pixels, None


def _reduced(pixels: Any, factor: int) -> Any:
    """`pixels` box-averaged `factor` x `factor` (the last partial blocks too, as Pillow's)."""
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(pixels[:, :, c], np.float32), "F").reduce(factor)
        )
        for c in range(pixels.shape[2])
    ]
    return np.stack(channels, axis=2)


def _uneven(pixels: Any, spec: InputSpec) -> bool:
    """Read the paper as a photo's (`paper: uneven`): only in a picture large enough for it,
    at least _PHOTO_SIDE pixels a side. Smaller, the grid cannot tell paper from ink and a
    3 x 3 smoothing is a stroke's width: a thumbnail is read as a drawing."""
    return spec.paper == "uneven" and min(pixels.shape[:2]) >= _PHOTO_SIDE


def _ink_mask(pixels: Any, gain: Any = None) -> Any:
    """Where the ink is: pixels above 15 % of the strongest ink whose neighbourhood also
    stands above the paper's noise (a photo's after dividing by `gain`, its levelling's
    magnification: a shadow's noise is magnified with its ink). The neighbourhood is the
    picture at half size (2 x 2 averaged) smoothed 3 x 3 again: a sensor's noise averaged
    over 36 pixels. There the paper is told from the ink by Otsu's threshold, and its noise's
    level is the paper's 99.5th percentile (a photo's also _noise_spread), so the noise never
    reaches the ink box. Clean paper (nine in ten of its pixels within a grey level or two of
    black) is read as before, by the threshold alone: a drawing's box is the one it always
    had."""
    strength = pixels.max(axis=2)
    clean = strength > _INK_THRESHOLD * 255
    even = strength if gain is None else strength / gain
    half = Image.fromarray(np.clip(even, 0, 255).astype(np.uint8), "L").reduce(2)
    if _paper_level(np.asarray(half), _CLEAN_QUANTILE) <= _CLEAN_PAPER:
        return clean
    smooth = np.asarray(half.filter(ImageFilter.BoxBlur(1)))
    threshold = max(_INK_THRESHOLD * 255, _paper_level(smooth, _NOISE_QUANTILE) * _NOISE_MARGIN)
    if gain is not None:  # a photo's (a drawing's box stays the one it always had)
        threshold = max(threshold, _noise_spread(smooth))
    around = np.repeat(np.repeat(smooth > threshold, 2, axis=0), 2, axis=1)
    height, width = clean.shape
    return around[:height, :width] & clean


def _noise_spread(smooth: Any) -> float:
    """How far the paper's noise reaches: its median plus _NOISE_SPREAD times the distance
    from there to its 84th percentile (a standard deviation, were it normal; ink is rarely a
    sixth of a photo). Otsu's threshold splits a photo of a small digit inside the noise,
    below its tail (read off the histogram's running count, as _paper_level)."""
    running = np.cumsum(np.bincount(smooth.ravel(), minlength=256))
    middle, high = np.searchsorted(running, np.array([0.5, 0.84]) * running[-1])
    return float(middle + _NOISE_SPREAD * (high - middle))


def _paper_level(grey: Any, quantile: float) -> float:
    """A quantile of the paper's levels, the paper being what lies below Otsu's threshold
    (read off the histogram's running count, whole grey levels, rather than by sorting)."""
    histogram = np.bincount(grey.ravel(), minlength=256)
    below = np.cumsum(histogram[: int(_otsu(histogram))])
    if not below.size or below[-1] == 0:
        return 0.0
    return float(np.searchsorted(below, quantile * below[-1]))


def _otsu(histogram: Any) -> float:
    """Otsu's threshold: the grey level that best splits the histogram in two classes."""
    levels = np.arange(histogram.size, dtype=np.float64)
    weight = np.cumsum(histogram, dtype=np.float64)
    total = weight[-1]
    mass = np.cumsum(histogram * levels)
    between = np.zeros_like(weight)
    inside = (weight > 0) & (weight < total)
    mean_low = mass[inside] / weight[inside]
    mean_high = (mass[-1] - mass[inside]) / (total - weight[inside])
    between[inside] = weight[inside] * (total - weight[inside]) * (mean_low - mean_high) ** 2
    return float(np.argmax(between)) + 0.5


def _fit_ink(pixels: Any, gain: Any, spec: InputSpec) -> Any:
    """Ink (bright; `gain` as _ink_high gives it) cropped to its bounding box, scaled so its
    longer side fills the ink box, placed in the model's frame: box centred, or its centre of
    mass on the frame's centre. Values 0..255, shaped height x width x channels."""
    if _uneven(pixels, spec):
        ink = _ink_mask(pixels, gain)
    else:
        ink = pixels.max(axis=2) > _INK_THRESHOLD * 255
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    frame = np.zeros((spec.height, spec.width, pixels.shape[2]), dtype=np.float32)
    if rows.size == 0:
        return frame  # a blank page: nothing to place
    crop = pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    side = max(crop.shape[:2])
    square = np.zeros((side, side, crop.shape[2]), dtype=np.float32)
    _paste(square, crop, (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2)
    # Without an ink box the ink fills the frame: scikit-learn's digits were scaled to touch
    # their box (a margin of 1/8 of the side cost 25-45 points of accuracy on redrawn 8x8
    # digits). MNIST's fill a 20-pixel box in a 28-pixel frame.
    if spec.ink_box is None:
        width, height = spec.width, spec.height
    else:
        width = height = spec.ink_box
    glyph = _resized(square, width, height)
    if spec.contrast == "stretch":
        glyph = _stretched(glyph, floor=np.zeros(glyph.shape[2], dtype=np.float32))
    if spec.centre == "mass":
        weights = glyph.sum(axis=2)
        total = float(weights.sum()) or 1.0
        middle_y = float((weights.sum(axis=1) * np.arange(height)).sum()) / total
        middle_x = float((weights.sum(axis=0) * np.arange(width)).sum()) / total
        top = round((spec.height - 1) / 2 - middle_y)
        left = round((spec.width - 1) / 2 - middle_x)
    else:
        top, left = (spec.height - height) // 2, (spec.width - width) // 2
    _paste(frame, glyph, top, left)
    return frame


def _stretched(pixels: Any, floor: Any) -> Any:
    """Paper (at `floor`) to 0 and the strongest ink to 255: grey paper, pencil and faint
    strokes reach the model as the dataset's ink on black."""
    levelled = np.clip(pixels - floor, 0, None)
    top = float(levelled.max())
    return levelled * (255 / top) if top > 0 else levelled


def _resized(pixels: Any, width: int, height: int) -> Any:
    # Area averaging when shrinking (thin strokes fade rather than vanish, as MNIST's
    # anti-aliased digits were made); bilinear when enlarging a small drawing.
    shrinking = width <= pixels.shape[1] and height <= pixels.shape[0]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    channels = [  # float32 channels: Pillow's "F" mode, so no rounding to 8 bits between steps
        np.asarray(Image.fromarray(pixels[:, :, c]).resize((width, height), method))
        for c in range(pixels.shape[2])
    ]
    return np.stack(channels, axis=2)


def _paste(frame: Any, glyph: Any, top: int, left: int) -> None:
    """`glyph` into `frame` at (top, left), clipped at the frame's edges."""
    height, width = frame.shape[:2]
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(height, top + glyph.shape[0]), min(width, left + glyph.shape[1])
    if y0 < y1 and x0 < x1:
        frame[y0:y1, x0:x1] = glyph[y0 - top : y1 - top, x0 - left : x1 - left]
