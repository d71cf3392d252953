"""MNIST samples made into pictures as people make them, for evaluation and for training.

A sample is 28 x 28 values 0..1, ink high. `SCENES` are the evaluation's fixed ways of drawing
one: the issue's three (dark on white RGB), more the model should read, and phone photos of a
digit written on paper. `as_drawn` is training's random way: any canvas, place and scale,
slant, stroke width, polarity, colours, anti-aliased or binary, transparent paper, sometimes
a JPEG, and three times in ten a photo (`as_photographed`: light, tint, blur, rotation,
perspective, sensor noise, a shadow, ruled or squared paper, a ballpoint or a pencil, each at
random).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

Rng = np.random.Generator
Sample = npt.NDArray[np.float32]
Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)
# Strokes are thickened or thinned on the digit drawn this tall (MNIST's strokes: ~17 px).
_WORK_HEIGHT = 140


def ink_of(sample: Sample) -> Image.Image:
    """The sample as an 'L' image, ink high (255 = full ink)."""
    return Image.fromarray(np.round(np.clip(sample, 0, 1) * 255).astype(np.uint8), "L")


def _scaled(ink: Image.Image, height: int) -> Image.Image:
    """The ink's bounding box scaled (aspect kept) so the ink is `height` pixels tall."""
    box = ink.getbbox()
    glyph = ink.crop(box) if box else ink
    width = max(1, round(glyph.width * height / glyph.height))
    return glyph.resize((width, height), Image.Resampling.BICUBIC)


def _restroked(ink: Image.Image, pixels: int) -> Image.Image:
    """Strokes 2 x `pixels` wider (positive) or narrower (negative), on the digit at
    _WORK_HEIGHT: a 3 x 3 maximum (or minimum) filter, once per pixel each side."""
    glyph = _scaled(ink, _WORK_HEIGHT)
    border = abs(pixels) + 1  # room to grow into
    padded = Image.new("L", (glyph.width + 2 * border, glyph.height + 2 * border), 0)
    padded.paste(glyph, (border, border))
    step = ImageFilter.MaxFilter(3) if pixels > 0 else ImageFilter.MinFilter(3)
    for _ in range(abs(pixels)):
        padded = padded.filter(step)
    box = padded.getbbox()
    return padded.crop(box) if box else glyph


def drawn(
    ink: Image.Image,
    canvas: tuple[int, int],
    at: tuple[int, int],
    ink_colour: Colour = BLACK,
    paper: Colour = WHITE,
) -> Image.Image:
    """`ink` (ink high) in `ink_colour` on an RGB `canvas` of `paper`, its top left at `at`."""
    alpha = Image.new("L", canvas, 0)
    alpha.paste(ink, at)
    colour, sheet = Image.new("RGB", canvas, ink_colour), Image.new("RGB", canvas, paper)
    return Image.composite(colour, sheet, alpha)


def _placed(ink: Image.Image, canvas: tuple[int, int], rng: Rng) -> tuple[int, int]:
    return (
        int(rng.integers(0, max(1, canvas[0] - ink.width + 1))),
        int(rng.integers(0, max(1, canvas[1] - ink.height + 1))),
    )


def _on_canvas(ink: Image.Image, height: int, rng: Rng, **colours: Colour) -> Image.Image:
    glyph = _scaled(ink, height)
    return drawn(glyph, (480, 320), _placed(glyph, (480, 320), rng), **colours)


# The evaluation's scenes: (sample, rng) -> picture ------------------------------------------


def at_28(sample: Sample, rng: Rng) -> Image.Image:
    """The sample as it is: 28 x 28, dark on white RGB."""
    return drawn(ink_of(sample), (28, 28), (0, 0))


def at_280(sample: Sample, rng: Rng) -> Image.Image:
    """Ten times larger (bicubic): 280 x 280, dark on white RGB."""
    return drawn(ink_of(sample).resize((280, 280), Image.Resampling.BICUBIC), (280, 280), (0, 0))


def on_canvas(sample: Sample, rng: Rng) -> Image.Image:
    """On a 480 x 320 white RGB canvas, the digit 120-200 px tall, at a random place."""
    return _on_canvas(ink_of(sample), int(rng.integers(120, 201)), rng)


def light_on_dark(sample: Sample, rng: Rng) -> Image.Image:
    """Chalk on a slate: light ink on dark paper, 280 x 280."""
    ink = ink_of(sample).resize((280, 280), Image.Resampling.BICUBIC)
    return drawn(ink, (280, 280), (0, 0), ink_colour=(235, 235, 225), paper=(40, 50, 45))


def thin_pen(sample: Sample, rng: Rng) -> Image.Image:
    """A fine pen: strokes about half as wide, 120-200 px tall on the 480 x 320 canvas."""
    return _on_canvas(_restroked(ink_of(sample), -5), int(rng.integers(120, 201)), rng)


def thick_marker(sample: Sample, rng: Rng) -> Image.Image:
    """A marker: strokes about twice as wide, 120-200 px tall on the 480 x 320 canvas."""
    return _on_canvas(_restroked(ink_of(sample), 9), int(rng.integers(120, 201)), rng)


def transparent_canvas(sample: Sample, rng: Rng) -> Image.Image:
    """A browser canvas's PNG: black strokes, transparent (0, 0, 0, 0) everywhere else."""
    glyph = _scaled(ink_of(sample), int(rng.integers(120, 201)))
    alpha = Image.new("L", (480, 320), 0)
    alpha.paste(glyph, _placed(glyph, (480, 320), rng))
    picture = Image.new("RGBA", (480, 320), (0, 0, 0, 0))
    picture.putalpha(alpha)
    return picture


def binary(sample: Sample, rng: Rng) -> Image.Image:
    """No anti-aliasing: a 1-bit picture, 280 x 280."""
    ink = ink_of(sample).resize((280, 280), Image.Resampling.BICUBIC)
    return drawn(ink.point(lambda v: 255 if v >= 128 else 0), (280, 280), (0, 0)).convert("1")


def photographed(
    sample: Sample,
    rng: Rng,
    *,
    canvas: tuple[int, int] = (640, 480),
    tallest: tuple[int, int] = (100, 180),
    light: bool = True,
    tint: bool = True,
    blur: bool = True,
    rotation: bool = True,
    perspective: bool = False,
    noise: bool = True,
    noise_levels: tuple[float, float] = (2.5, 6),
    quality: tuple[int, int] = (75, 92),
    pen: str = "felt",
    paper_lines: str = "plain",
    shadow: bool = False,
    slant: bool = False,
) -> bytes:
    """A digit written dark on grey paper and photographed with a phone: 640 x 480, the digit
    100-180 px tall somewhere on it, grey ink; light falling off across the page, a warm
    tint, a little blur, a small rotation, sensor noise of a few grey levels, then JPEG.
    Each property can be left out, to see which one a model fails on; training also varies
    the canvas, the digit's size and the camera's angle (perspective).

    Beyond plain paper and a felt pen: `pen` one of PENS (ballpoints draw thin lines in blue
    or black, a pencil grey and grainy), `paper_lines` one of PAPERS (ruled: light blue lines
    a few degrees off level, sometimes a red margin; squared: a light grid), `shadow` a soft
    shadow across the page (a hand's or a phone's), `slant` the writing sheared and squeezed as
    hands differ. Those draw from `rng` only when asked for, so the other scenes are drawn as
    they always were."""
    width, height = canvas
    ink = ink_of(sample).resize((112, 112), Image.Resampling.BICUBIC)
    if pen != "felt":
        ink = _restroked(ink, PEN_STROKES[pen])
    if slant:
        ink = _slanted(ink, rng)
    if rotation:
        ink = ink.rotate(float(rng.uniform(-8, 8)), Image.Resampling.BILINEAR, expand=True)
    if perspective:
        ink = _tilted(ink, rng)
    glyph = _scaled(ink, int(rng.integers(tallest[0], tallest[1] + 1)))
    alpha = Image.new("L", canvas, 0)
    alpha.paste(glyph, _placed(glyph, canvas, rng))
    cover = np.asarray(alpha, dtype=np.float32) / 255
    paper, grey_pen = float(rng.uniform(150, 205)), float(rng.uniform(25, 85))
    sheet = np.full((height, width, 3), paper, dtype=np.float32)
    if paper_lines != "plain":
        sheet = _lined(sheet, paper_lines, rng)
    if pen == "felt":
        colour = np.full(3, grey_pen, dtype=np.float32)
    else:
        colour, cover = _pen_colour(pen, rng), _pen_cover(pen, cover, rng)
    rgb = sheet * (1 - cover[:, :, None]) + colour * cover[:, :, None]
    if light:  # brighter towards one side of the page, by 15-35 % from edge to edge
        angle, strength = float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(0.15, 0.35))
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        across = ((xs - width / 2) / width) * np.cos(angle) + ((ys - height / 2) / height) * np.sin(
            angle
        )
        rgb *= (1 + strength * across)[:, :, None]
    if shadow:
        rgb *= _shadow(width, height, rng)[:, :, None]
    if tint:  # warm light: blue and green a little darker
        rgb *= np.array([1.0, float(rng.uniform(0.9, 0.97)), float(rng.uniform(0.78, 0.9))])
    picture = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    if blur:
        picture = picture.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.4))))
    if noise:  # the sensor's: a few grey levels, every pixel and channel its own
        noisy = np.asarray(picture, dtype=np.float32)
        noisy += rng.normal(0, float(rng.uniform(*noise_levels)), noisy.shape).astype(np.float32)
        picture = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=int(rng.integers(quality[0], quality[1] + 1)))
    return buffer.getvalue()


# Pens: how much thinner than MNIST's strokes (on the digit _WORK_HEIGHT tall; felt: as is).
PEN_STROKES = {"felt": 0, "blue ballpoint": -4, "black ballpoint": -4, "pencil": -3}
PENS = tuple(PEN_STROKES)
PAPERS = ("plain", "ruled", "squared")


def _pen_colour(pen: str, rng: Rng) -> npt.NDArray[np.float32]:
    if pen == "blue ballpoint":
        red, green = float(rng.uniform(15, 60)), float(rng.uniform(30, 80))
        return np.array([red, green, float(rng.uniform(110, 175))], dtype=np.float32)
    if pen == "black ballpoint":
        dark = float(rng.uniform(15, 55))
        return np.array([dark, dark, dark + float(rng.uniform(0, 15))], dtype=np.float32)
    # Graphite: a mid grey, a little cool.
    graphite = float(rng.uniform(65, 125))
    return np.array([graphite, graphite, graphite + 6], dtype=np.float32)


def _pen_cover(pen: str, cover: Any, rng: Rng) -> Any:
    """How fully the pen covers the paper where it passed: a ballpoint skips a little, a
    pencil leaves grain (paper showing through, in specks a pixel or two across)."""
    if pen == "pencil":
        grain = Image.fromarray(rng.integers(90, 256, cover.shape, dtype=np.uint8), "L")
        specks = np.asarray(grain.filter(ImageFilter.GaussianBlur(0.7)), dtype=np.float32) / 255
        return cover * specks * float(rng.uniform(0.8, 1.0))
    skips = rng.uniform(0.85, 1.0, cover.shape).astype(np.float32)
    return cover * skips


def _lined(sheet: npt.NDArray[np.float32], kind: str, rng: Rng) -> npt.NDArray[np.float32]:
    """Printed lines on the paper: ruled (light blue, every 24-34 px, a red margin one page in
    three) or squared (a lighter grid every 18-28 px), a few degrees off the picture's level
    as a hand holds a phone, 1-2 px wide and anti-aliased."""
    height, width = sheet.shape[:2]
    tilt = float(rng.uniform(-3, 3)) * np.pi / 180
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    down = ys * np.cos(tilt) - xs * np.sin(tilt)  # distance along the page's vertical
    across = xs * np.cos(tilt) + ys * np.sin(tilt)
    thickness = float(rng.uniform(1.0, 2.0))
    shade = np.array(
        [rng.uniform(0.62, 0.8), rng.uniform(0.78, 0.9), rng.uniform(0.96, 1.0)], dtype=np.float32
    )
    strength = float(rng.uniform(0.6, 1.0))
    if kind == "ruled":
        spacing = float(rng.uniform(24, 34))
        lines = _rules(down, spacing, float(rng.uniform(0, spacing)), thickness)
    else:
        spacing = float(rng.uniform(18, 28))
        lines = np.maximum(
            _rules(down, spacing, float(rng.uniform(0, spacing)), thickness),
            _rules(across, spacing, float(rng.uniform(0, spacing)), thickness),
        )
        strength *= 0.8
    sheet = sheet * (1 - strength * lines[:, :, None] * (1 - shade))
    if kind == "ruled" and rng.random() < 1 / 3:  # the margin: red, down the left side
        margin = _rules(across, 10 * width, float(rng.uniform(0.08, 0.2)) * width, thickness)
        red = np.array([1.0, 0.62, 0.66], dtype=np.float32)
        sheet = sheet * (1 - margin[:, :, None] * (1 - red))
    return sheet


def _rules(
    position: npt.NDArray[np.float32], spacing: float, phase: float, thickness: float
) -> Any:
    """Coverage (0..1) of lines `thickness` wide every `spacing` along `position`."""
    offset = np.abs(((position - phase + spacing / 2) % spacing) - spacing / 2)
    return np.clip(thickness / 2 + 0.5 - offset, 0, 1)


def _shadow(width: int, height: int, rng: Rng) -> Any:
    """A soft shadow: one side of a straight edge somewhere across the middle of the page
    25-45 % darker, the edge blurred over 8-40 px (a penumbra: the hand is above the page)."""
    angle = float(rng.uniform(0, 2 * np.pi))
    centre_x = float(rng.uniform(0.25, 0.75)) * width
    centre_y = float(rng.uniform(0.25, 0.75)) * height
    depth, softness = float(rng.uniform(0.25, 0.45)), float(rng.uniform(8, 40))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    side = (xs - centre_x) * np.cos(angle) + (ys - centre_y) * np.sin(angle)
    inside = 1 / (1 + np.exp(-np.clip(side / softness, -30, 30)))
    return (1 - depth * inside).astype(np.float32)


def _tilted(ink: Image.Image, rng: Rng) -> Image.Image:
    """The page seen a little from one side: each corner moved by up to 12 % of the side."""
    w, h = ink.size
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    moved = corners + rng.uniform(-0.12, 0.12, (4, 2)) * np.array([w, h])
    # The 8 coefficients that take each output corner (moved) back to its input corner.
    rows = []
    for (x, y), (u, v) in zip(moved, corners, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coefficients = np.linalg.solve(np.array(rows), corners.ravel())
    side = (int(moved[:, 0].max()) + 1, int(moved[:, 1].max()) + 1)
    tilted = ink.transform(
        side, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.Resampling.BILINEAR
    )
    box = tilted.getbbox()
    return tilted.crop(box) if box else ink


def as_photographed(sample: Sample, rng: Rng) -> bytes:
    """Training's random photo: any canvas, the digit anywhere at any size, and every
    property of a phone's picture, each at random strength or left out."""
    width, height = int(rng.integers(160, 801)), int(rng.integers(120, 601))
    top = max(20, int(min(width, height) * 0.9))
    return photographed(
        sample,
        rng,
        canvas=(width, height),
        tallest=(max(14, top // 6), top),
        light=rng.random() < 0.8,
        tint=rng.random() < 0.6,
        blur=rng.random() < 0.7,
        rotation=rng.random() < 0.8,
        perspective=rng.random() < 0.5,
        noise=rng.random() < 0.9,
        noise_levels=(2.5, float(rng.uniform(6, 16))),
        quality=(int(rng.integers(25, 76)), 92),
        pen=str(rng.choice(PENS, p=[0.4, 0.2, 0.2, 0.2])),
        paper_lines=str(rng.choice(PAPERS, p=[0.5, 0.25, 0.25])),
        shadow=rng.random() < 0.35,
        slant=rng.random() < 0.3,
    )


def phone_photo(sample: Sample, rng: Rng) -> bytes:
    return photographed(sample, rng)


def photo_noise_only(sample: Sample, rng: Rng) -> bytes:
    """Grey paper and sensor noise, nothing else of a photo (the property that failed)."""
    return photographed(sample, rng, light=False, tint=False, blur=False, rotation=False)


def photo_without_noise(sample: Sample, rng: Rng) -> bytes:
    return photographed(sample, rng, noise=False)


def photo_shadow(sample: Sample, rng: Rng) -> bytes:
    return photographed(sample, rng, shadow=True)


def photo_ruled(sample: Sample, rng: Rng) -> bytes:
    return photographed(sample, rng, paper_lines="ruled")


def photo_squared(sample: Sample, rng: Rng) -> bytes:
    return photographed(sample, rng, paper_lines="squared")


def photo_blue_ballpoint(sample: Sample, rng: Rng) -> bytes:
    return photographed(sample, rng, pen="blue ballpoint")


def photo_black_ballpoint(sample: Sample, rng: Rng) -> bytes:
    return photographed(sample, rng, pen="black ballpoint")


def photo_pencil(sample: Sample, rng: Rng) -> bytes:
    return photographed(sample, rng, pen="pencil")


def photo_everything(sample: Sample, rng: Rng) -> bytes:
    """Every hard thing at once: a shadow, ruled or squared paper, a ballpoint or a pencil,
    and each photo at random small (the digit 40-80 px) or large (a 1600 x 1200 photo),
    slanted, noisier (up to 14 grey levels) and compressed harder (JPEG 30-92)."""
    size = rng.random()
    canvas, tallest = ((1600, 1200), (250, 450)) if size < 0.3 else ((640, 480), (40, 180))
    return photographed(
        sample,
        rng,
        canvas=canvas,
        tallest=tallest,
        noise_levels=(2.5, 14),
        quality=(30, 92),
        pen=str(rng.choice(PENS[1:])),
        paper_lines=str(rng.choice(PAPERS[1:])),
        shadow=True,
        slant=rng.random() < 0.5,
    )


Scene = Callable[[Sample, Rng], Image.Image | bytes]
# The figures first; the rest are reported beside them.
SCENES: dict[str, Scene] = {
    "28x28": at_28,
    "280x280": at_280,
    "480x320 canvas": on_canvas,
    "light on dark": light_on_dark,
    "thin pen": thin_pen,
    "thick marker": thick_marker,
    "transparent canvas": transparent_canvas,
    "binary": binary,
    "phone photo": phone_photo,
    "photo: noise only": photo_noise_only,
    "photo: all but noise": photo_without_noise,
    "photo: shadow": photo_shadow,
    "photo: ruled paper": photo_ruled,
    "photo: squared paper": photo_squared,
    "photo: blue ballpoint": photo_blue_ballpoint,
    "photo: black ballpoint": photo_black_ballpoint,
    "photo: pencil": photo_pencil,
    "photo: everything": photo_everything,
}
FIGURES = ("28x28", "280x280", "480x320 canvas")
PHOTOS = ("phone photo", "photo: noise only", "photo: all but noise")
# Photos of real-life pages (each >= 97 %; all together >= 95 %).
PAGES = (
    "photo: shadow",
    "photo: ruled paper",
    "photo: squared paper",
    "photo: blue ballpoint",
    "photo: black ballpoint",
    "photo: pencil",
)
EVERYTHING = "photo: everything"


# Training's random drawing -------------------------------------------------------------------


def _colours(rng: Rng) -> tuple[Colour, Colour]:
    """Ink and paper: dark on light mostly, light on dark sometimes, grey or coloured."""
    dark = tuple(int(v) for v in rng.integers(0, 90, 3))
    light = tuple(int(v) for v in rng.integers(170, 256, 3))
    if rng.random() < 0.5:  # grey
        dark, light = (dark[0],) * 3, (light[0],) * 3
    ink, paper = (dark, light) if rng.random() < 0.7 else (light, dark)
    return ink, paper  # type: ignore[return-value]  # three values each


def _slanted(ink: Image.Image, rng: Rng) -> Image.Image:
    """Rotated, sheared and squeezed a little, as hands differ."""
    angle = float(rng.uniform(-0.2, 0.2))  # radians, about 11 degrees
    shear = float(rng.uniform(-0.25, 0.25))
    sx, sy = rng.uniform(0.85, 1.15, 2)
    cos, sin = np.cos(angle), np.sin(angle)
    # Output -> input: inverse of scale, shear and rotation about the centre.
    matrix = (
        np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, shear], [0, 1]]) @ np.diag([sx, sy])
    )
    inverse = np.linalg.inv(matrix)
    side = max(ink.size) * 2
    centre_in = np.array(ink.size) / 2
    centre_out = np.array([side, side]) / 2
    offset = centre_in - inverse @ centre_out
    coefficients = (*inverse[0], offset[0], *inverse[1], offset[1])
    out = ink.transform(
        (side, side), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR
    )
    box = out.getbbox()
    return out.crop(box) if box else ink


def as_drawn(sample: Sample, rng: Rng) -> bytes:
    """The sample drawn at random as a person might (three times in ten, written on paper and
    photographed), encoded as the API would receive it."""
    if rng.random() < 0.3:
        return as_photographed(sample, rng)
    ink = _slanted(ink_of(sample).resize((112, 112), Image.Resampling.BICUBIC), rng)
    if rng.random() < 0.5:
        ink = _restroked(ink, int(rng.integers(-5, 12)))
    width, height = int(rng.integers(28, 480)), int(rng.integers(28, 480))
    tallest = min(height, round(width * ink.height / ink.width))
    glyph = _scaled(ink, int(rng.integers(max(8, tallest // 4), max(9, tallest + 1))))
    if rng.random() < 0.2:  # no anti-aliasing
        glyph = glyph.point(lambda v: 255 if v >= 128 else 0)
    at = _placed(glyph, (width, height), rng)
    if rng.random() < 0.15:  # a transparent canvas
        colour = BLACK if rng.random() < 0.7 else WHITE
        picture = Image.new("RGBA", (width, height), (*colour, 0))
        alpha = Image.new("L", (width, height), 0)
        alpha.paste(glyph, at)
        picture.putalpha(alpha)
        return encoded(picture)
    ink_colour, paper = _colours(rng)
    picture = drawn(glyph, (width, height), at, ink_colour, paper)
    if rng.random() < 0.5:
        picture = picture.convert("L")
    return encoded(picture, "JPEG" if rng.random() < 0.15 else "PNG")


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def as_sent(picture: Image.Image | bytes) -> bytes:
    """What a scene made, as the API receives it: a photo's own JPEG, else the picture as PNG."""
    return picture if isinstance(picture, bytes) else encoded(picture)
