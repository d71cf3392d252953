"""The paper of a photographed page, told from the ink: which side of the paper the ink is on,
the paper's level under light that falls off and under a shadow's edge, and the lines printed
on it (ruled or squared).

Pixels here are float arrays, height x width x channels, ink high (paper near 0, the darker a
stroke the higher), as adapters.images hands them over for a model whose manifest says
`paper: uneven`, once it has found the paper not flat (a drawing's is, and never comes here).

- Dark ink or light: each cell of a coarse grid against the median of the cells around it
  (`ink_is_dark`). A shadow can darken most of the page's edge, which the edge's own level
  then reads as dark paper.
- The paper's level at every pixel is a grey-level opening (a minimum, then a maximum, over a
  square a fourteenth of the picture's longer side) of the picture reduced to at most 100 cells
  a side. An opening keeps what is wider than its square (light across the page, a shadow and
  its edge, which it follows exactly: any level that only rises or falls across an edge is its
  own opening) and drops what is narrower (strokes): the paper without the ink. Where light
  brightens towards a shadow, the level beside the edge rises one way and falls the other, and
  the opening sinks there by the light's fall across its square: the square is no wider than a
  stroke needs. The page is continued past its border by an odd reflection, so a shadow's edge
  meeting the border at a sharp angle keeps its corner; the opening, which the minimum of a
  sensor's noise pulls below the paper's middle, is moved back up by the typical cell's
  distance above it.
- The ink is then measured as the share of its paper's light it keeps from the camera: light
  multiplies, so a stroke or a printed line is as strong in a shadow as out of it.
- Printed lines are long: a line crosses every strip of the page, a stroke only a few. The
  page is cut in strips 16 pixels wide; each strip's mean across is a profile down the page;
  for each tilt within 5 degrees the strips' profiles are lined up along it, and a low
  quantile across them keeps only what nearly every strip has. The tilt whose profile is
  sharpest is the lines', and that profile, laid along the tilt, is taken off the page. The
  same on the page turned finds a grid's other lines and a margin.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageFilter

# Paper whose cells (at most _FLAT_GRID a side) all lie within this many grey levels is flat.
_FLAT_GRID = 64
_FLAT_PAPER = 6
# Which side of its paper the ink is on is read on at most this many cells a side, each
# against the _AROUND x _AROUND cells around it.
_SIDE_GRID = 40
_AROUND = 7
# The paper's level is estimated on at most this many cells a side...
_GRID = 100
# ...and an opening over a square of this share of the longer side (7 cells of 100, 28 px of
# a 400 px reading): wider than a stroke, and narrow enough that light brightening towards a
# shadow does not sink the opening beside its edge (a sixth read 93.7 % of the photos with
# everything at once, this 95.6 %, a twentieth 95.5 %).
_OPENING_SHARE = 1 / 14
# Paper darker than this (255 - it, ink high) is taken as this dark: no division by nothing.
_DARKEST_PAPER = 16.0
# Lines: strips this wide, tilts up to this many degrees either way in these steps, and
# what share of the strips a line must cross (the quantile across them, from below).
_STRIP = 16
_FEWEST_STRIPS = 4
_MAX_TILT = 5.0
_COARSE_TILTS = np.arange(-_MAX_TILT, _MAX_TILT + 0.5, 1.0)
_FINE_TILTS = np.array([-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75])
_LINE_QUANTILE = 0.2
# A line's profile must rise at least this many grey levels above the paper to be taken off,
# and is taken off this much more strongly than its profile (which the strips' quantile,
# below their middle, and reading between rows both lower).
_FAINTEST_LINE = 3.0
_LINE_WEIGHT = 1.25
# What a strip reads beyond the page: above any level, so a low quantile passes over it.
_OFF_PAGE = 1e30


def levelled(pixels: Any) -> Any:
    """The ink alone, as the share of the light its paper sends back that it keeps from the
    camera (0..255): light multiplies, so a stroke, or a printed line, in a shadow is as
    strong as in the light. Printed lines then taken off."""
    return levelled_and_gain(pixels)[0]


def levelled_and_gain(pixels: Any) -> tuple[Any, Any]:
    """`levelled(pixels)`, and how much more it magnified each pixel (height x width) than the
    page's typical pixel: where a shadow darkens the paper, a share of its light magnifies the
    sensor's noise as much as the ink, so the noise is judged after undoing it."""
    paper = paper_level(pixels)
    magnified = 255 / np.maximum(255 - paper, _DARKEST_PAPER)
    share = np.clip(pixels - paper, 0, None) * magnified
    gain = magnified.mean(axis=2)
    # The gain is smooth (a grid's, laid over bilinearly): every fourth pixel gives its median.
    return without_lines(share), gain / float(np.median(gain[::4, ::4]))


def ink_is_dark(pixels: Any) -> bool:
    """Whether the ink is darker than the paper around it, whatever the light: on a grid of
    cells (at most _SIDE_GRID a side), each cell against the median of the cells around it
    (a square wider than strokes, so mostly paper, and a median, so it follows a shadow's
    edge); dark ink leaves cells far below their surroundings, light ink far above."""
    grey = pixels.mean(axis=2)
    grid = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L").resize(
        _cells(grey.shape, _SIDE_GRID), Image.Resampling.BOX
    )
    around = grid.filter(ImageFilter.MedianFilter(_AROUND))
    residual = np.asarray(grid, dtype=np.int16) - np.asarray(around, dtype=np.int16)
    return -int(residual.min()) > int(residual.max())


def flat(pixels: Any) -> bool:
    """Whether the paper (ink high: the darker half of the picture's cells on a coarse grid, as
    ink is bright and rarely half the page) lies within _FLAT_PAPER grey levels in every
    channel."""
    cells = _cells(pixels.shape, _FLAT_GRID)
    for channel in range(pixels.shape[2]):
        level = _grid(pixels[:, :, channel], cells).ravel()
        darker = level[level <= np.partition(level, level.size // 2)[level.size // 2]]
        if np.ptp(darker) > _FLAT_PAPER:
            return False
    return True


def paper_level(pixels: Any) -> Any:
    """The paper's level at every pixel (same shape as `pixels`): a grey-level opening of the
    picture reduced to a grid, laid back over the picture (bilinear)."""
    height, width, channels = pixels.shape
    cells = _cells(pixels.shape, _GRID)
    side = max(3, round(max(cells) * _OPENING_SHARE) | 1)  # odd: centred on its cell
    surface = np.empty_like(pixels)
    for channel in range(channels):
        grid = _grid(pixels[:, :, channel], cells)
        # The page continued past its edges as its levels run there (an odd reflection), so
        # that the squares near an edge see a shadow's edge go on rather than stop.
        page = np.pad(grid, side, mode="reflect", reflect_type="odd")
        opened = _extreme(_extreme(page, side, np.minimum), side, np.maximum)[
            side:-side, side:-side
        ]
        # The minimum of a sensor's noise lies below the paper's middle: by the typical cell's
        # distance above the opening (a cell of paper: they are most of the page).
        opened += float(np.median(grid - opened))
        level = Image.fromarray(opened.astype(np.float32), "F")
        surface[:, :, channel] = np.asarray(
            level.resize((width, height), Image.Resampling.BILINEAR)
        )
    return surface


def _cells(shape: tuple[int, ...], most: int) -> tuple[int, int]:
    """Columns and rows of a grid over a picture of `shape` (height, width, ...), at most
    `most` a side, its aspect kept."""
    height, width = shape[:2]
    scale = min(1.0, most / max(height, width))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _grid(plane: Any, cells: tuple[int, int]) -> Any:
    """One channel reduced to `cells` (columns, rows), each cell its area's mean."""
    image = Image.fromarray(np.ascontiguousarray(plane, np.float32), "F")
    return np.asarray(image.resize(cells, Image.Resampling.BOX))


def _extreme(grid: Any, side: int, pick: Any) -> Any:
    """The minimum (pick=np.minimum) or maximum (np.maximum) over a side x side square around
    each cell, the grid's edge repeated outward: separable, each axis in time linear in the
    cells whatever the side (van Herk's and Gil and Werman's running extremes)."""
    half = side // 2
    out = np.pad(grid, half, mode="edge")
    for axis in (0, 1):
        out = np.moveaxis(_running(np.moveaxis(out, axis, -1), side, pick), -1, axis)
    return out


def _running(values: Any, side: int, pick: Any) -> Any:
    """`pick` over each run of `side` values along the last axis (length n - side + 1): the
    extreme of a run is that of the suffix of the block it starts in and of the prefix of the
    block it ends in."""
    length = values.shape[-1]
    blocks = -(-length // side)
    padded = np.pad(values, [(0, 0)] * (values.ndim - 1) + [(0, blocks * side - length)], "edge")
    shaped = padded.reshape(*values.shape[:-1], blocks, side)
    prefix = pick.accumulate(shaped, axis=-1).reshape(padded.shape)
    suffix = pick.accumulate(shaped[..., ::-1], axis=-1)[..., ::-1].reshape(padded.shape)
    runs = length - side + 1
    return pick(suffix[..., :runs], prefix[..., side - 1 : side - 1 + runs])


def without_lines(pixels: Any) -> Any:
    """`pixels` (paper levelled to about 0) with long straight lines taken off: those along the
    page and, found on the same picture turned, those down it (a grid's lines cross: each
    direction is found where the other is still there, so neither's crossings are missing)."""
    channels = []
    for channel in range(pixels.shape[2]):
        grey = pixels[:, :, channel]
        lines = _lines_across(grey) + _lines_across(grey.T).T
        channels.append(np.clip(grey - lines, 0, None))
    return np.stack(channels, axis=2)


def _lines_across(grey: Any) -> Any:
    """The lines that run across `grey` (within _MAX_TILT of level) as a picture of them alone:
    0 where there is none."""
    height, width = grey.shape
    strips = width // _STRIP
    if strips < _FEWEST_STRIPS:
        return np.zeros_like(grey)  # too narrow to tell a line from a stroke
    # Each strip's mean across: a profile down the page, at the strip's centre.
    profiles = grey[:, : strips * _STRIP].reshape(height, strips, _STRIP).mean(axis=2).T
    centres = np.arange(strips) * _STRIP + (_STRIP - 1) / 2  # column indices
    # The tilt in whole degrees first, on profiles of half the rows, then in quarters.
    halves = profiles[:, : height // 2 * 2].reshape(strips, -1, 2).mean(axis=2)
    coarse = _sharpest(halves, centres / 2, _COARSE_TILTS)
    fine = coarse + _FINE_TILTS
    degrees = _sharpest(profiles, centres, fine[np.abs(fine) <= _MAX_TILT])
    # How far down a line lies at each column, from where it is at the first.
    slope = np.float32(np.tan(np.radians(degrees)))
    drop = np.arange(width, dtype=np.float32) * slope
    # The line's profile at the first column, for rows above and below the page there too:
    # lines that cross the page's other columns only.
    margin = int(np.ceil(np.abs(drop).max()))
    rows = np.arange(-margin, height + margin, dtype=np.float32)
    lined_up = _lined_up(profiles, centres * slope, rows)
    line = np.clip(lined_up - np.median(lined_up), 0, None)
    if float(line.max()) < _FAINTEST_LINE:
        return np.zeros_like(grey)
    # A thin line's profile changes with where it falls between rows: taken off a row either
    # side too, at its fullest, rather than leave its edges.
    line = _LINE_WEIGHT * np.maximum(
        line, np.maximum(np.pad(line[1:], (0, 1)), np.pad(line[:-1], (1, 0)))
    )
    # The line laid back along the tilt at every column: row y of column x reads the profile
    # at y - drop(x).
    down = np.arange(height, dtype=np.float32)[:, None] - drop[None, :]
    return np.interp(down, rows, line, left=0, right=0).astype(grey.dtype)


def _sharpest(profiles: Any, centres: Any, tilts: Any) -> float:
    """Of `tilts` (degrees), the one along which the strips' profiles line up sharpest."""
    shifts = centres[None, :] * np.tan(np.radians(tilts))[:, None]
    return float(tilts[int(np.argmax(np.var(_lined_up(profiles, shifts), axis=-1)))])


def _lined_up(profiles: Any, shifts: Any, rows: Any | None = None) -> Any:
    """The profile along the lines: each strip's profile read `shifts` rows further down
    (linear between rows; beyond the page, no line), and of the strips at each row a low
    quantile, so that only what nearly all strips share (a line) stands out, not what a few
    share (a stroke). `shifts` is one per strip, or a row of them per tilt (then tilts x
    rows); `rows` (default: the page's) where the profile is read."""
    strips, height = profiles.shape
    if rows is None:
        rows = np.arange(height, dtype=np.float32)
    at_rows = np.asarray(shifts, dtype=np.float32)[..., None] + rows
    top = np.floor(at_rows)
    part = at_rows - top
    margin = int(np.abs(top).max(initial=0)) + 1
    padded = np.pad(profiles, ((0, 0), (margin, margin + 1)), constant_values=_OFF_PAGE)
    at = np.clip(top.astype(np.intp) + margin, 0, padded.shape[1] - 2)
    strip = np.arange(strips)[:, None]
    upper, lower = padded[strip, at], padded[strip, at + 1]
    off = (upper >= _OFF_PAGE) | ((part > 0) & (lower >= _OFF_PAGE))
    read = np.where(off, _OFF_PAGE, upper + (lower - upper) * part)
    low = int(_LINE_QUANTILE * (strips - 1))
    lined_up = np.partition(read, low, axis=-2)[..., low, :]
    return np.where(lined_up < _OFF_PAGE / 2, lined_up, 0)
