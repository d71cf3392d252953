"""A photographed page's paper (adapters.paper): its level under a shadow's edge, which side of
it the ink is on, and printed lines taken off, each on a page built here pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest

from monolambda.adapters import paper

HEIGHT, WIDTH = 240, 320


def page(
    *,
    shadow: float = 0.0,
    softness: float = 10.0,
    angle: float = 0.6,
    noise: float = 0.0,
    seed: int = 1,
    light: float = 0.0,
    ink: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """A page as a camera sees it (grey levels, paper light) with a ring of dark ink, and where
    the ink is. `shadow`: how much darker the paper is beyond an edge through the middle;
    `light`: how much brighter the light is, from edge to edge, towards the shadow's side
    (against it); `ink`: False for the paper alone."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    radius = np.hypot(ys - 120, xs - 200)
    ring = (radius > 30) & (radius < 38) & ink  # a "0", 8 px strokes
    grey = np.where(ring, 50.0, 190.0).astype(np.float32)
    side = (xs - 160) * np.cos(angle) + (ys - 120) * np.sin(angle)
    grey *= 1 - shadow / (1 + np.exp(-side / softness))
    grey *= 1 + light * side / WIDTH
    grey += np.random.default_rng(seed).normal(0, noise, grey.shape).astype(np.float32)
    return np.clip(grey, 0, 255)[:, :, None], ring


@pytest.mark.parametrize("angle", [0.0, 0.6, 2.0, 4.0])
@pytest.mark.parametrize("softness", [4.0, 10.0, 30.0])
def test_a_shadows_edge_is_levelled_away_and_the_ink_stays(angle: float, softness: float) -> None:
    grey, ink = page(shadow=0.4, softness=softness, angle=angle)
    share = paper.levelled(255 - grey)[:, :, 0]
    # The ink keeps most of its strength, in the shadow and out of it...
    assert np.median(share[ink]) > 0.6 * 255
    # ...and no paper, the edge's included, comes near it (the ink box is found at 15 %).
    assert share[~ink].max() < 0.15 * float(share[ink].max())


@pytest.mark.parametrize("angle", [0.0, 0.6, 2.0, 4.0])
@pytest.mark.parametrize("softness", [4.0, 10.0])
def test_light_falling_off_against_a_shadow_is_followed_to_its_edge(
    angle: float, softness: float
) -> None:
    """Beside a shadow's edge, with the light brighter towards the shadow (35 % from edge to
    edge), no square on the shadow's side has its darkest paper where it is: the opening sits
    below the paper by the light's fall across the square. Over a sixth of the page that was
    up to 7 grey levels, which a shadow's gain then magnified into a band of ink along the
    edge (issue 31's everything-at-once photos); a square narrow enough adds nothing to the
    edge's own error."""

    def error(light: float) -> float:
        grey, _ = page(shadow=0.4, softness=softness, angle=angle, light=light, ink=False)
        return float(np.abs(paper.paper_level(255 - grey) - (255 - grey)).max())

    assert error(light=0.35) <= error(light=0.0) + 0.5


def test_the_edge_continues_past_the_pages_border() -> None:
    """Where a shadow's edge meets the page's border at a sharp angle, the opening alone
    would cut the shadow's corner off and leave it as ink (found by the shadow scene)."""
    for angle in np.linspace(0.1, 3.0, 12):
        grey, ink = page(shadow=0.45, softness=8, angle=float(angle))
        share = paper.levelled(255 - grey)[:, :, 0]
        assert share[~ink].max() < 0.15 * float(share[ink].max()), angle


def test_the_gain_is_how_much_more_a_shadow_magnifies_than_the_typical_paper() -> None:
    """A share of a shadow's light magnifies the sensor's noise with the ink: the gain is
    what the noise is judged after undoing (1 on most of the page)."""
    grey, _ = page(shadow=0.4, angle=0.0)  # the shadow on the right half, 40 % darker
    share, gain = paper.levelled_and_gain(255 - grey)
    assert np.array_equal(share, paper.levelled(255 - grey))
    assert gain.shape == grey.shape[:2]
    light, shadowed = float(np.median(gain[:, :100])), float(np.median(gain[:, -100:]))
    assert abs(shadowed / light - 1 / 0.6) < 0.1
    assert 0.6 < light <= 1 <= shadowed < 1.7  # relative to the page's median pixel


def test_the_paper_under_a_sensors_noise_is_levelled_to_its_middle() -> None:
    """The minimum of noise lies below the paper: the level is moved back up to its middle."""
    grey, ink = page(noise=8)
    share = paper.levelled(255 - grey)[:, :, 0]
    assert abs(float(np.median(share[~ink]))) < 3


@pytest.mark.parametrize("shadow", [0.0, 0.3, 0.45])
def test_which_side_the_ink_is_on_is_told_under_any_shadow(shadow: float) -> None:
    grey, _ = page(shadow=shadow, noise=4)
    assert paper.ink_is_dark(grey)
    # Chalk on a slate: the same page, light ink on dark paper.
    assert not paper.ink_is_dark(255 - grey)


def test_a_shadow_over_most_of_the_edge_still_reads_the_ink_as_dark() -> None:
    """The page's edge is mostly in the shadow: its median is darker than mid grey, which the
    edge's reading took for dark paper."""
    grey, _ = page(shadow=0.45, angle=0.0)  # the edge x = 160: the right half in shadow
    grey = grey * 0.75  # dim light besides
    edge = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    assert np.median(edge) < 127
    assert paper.ink_is_dark(grey)


def lined(
    grey: np.ndarray, *, spacing: float, tilt_degrees: float, squared: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Light blue-grey lines printed on the page, 1.5 px wide, anti-aliased, tilted."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    tilt = np.radians(tilt_degrees)
    down = ys * np.cos(tilt) - xs * np.sin(tilt)
    across = xs * np.cos(tilt) + ys * np.sin(tilt)

    def rules(position: np.ndarray) -> np.ndarray:
        offset = np.abs(((position - 7 + spacing / 2) % spacing) - spacing / 2)
        return np.clip(1.25 - offset, 0, 1)

    lines = np.maximum(rules(down), rules(across)) if squared else rules(down)
    return grey * (1 - 0.2 * lines[:, :, None]), lines


@pytest.mark.parametrize("tilt", [-4.0, -1.5, 0.0, 2.0, 4.5])
@pytest.mark.parametrize("squared", [False, True])
def test_printed_lines_are_taken_off_and_the_ink_stays(tilt: float, squared: bool) -> None:
    grey, ink = page(noise=2)
    with_lines, lines = lined(grey, spacing=24, tilt_degrees=tilt, squared=squared)
    share = paper.levelled(255 - with_lines)[:, :, 0]
    on_a_line = (lines > 0.5) & ~ink
    before = paper.levelled(255 - grey)[:, :, 0]
    # Lines as strong as a fifth of the ink before; next to nothing after.
    assert np.percentile(share[on_a_line], 95) < 0.06 * 255
    assert np.median(share[ink]) > 0.85 * np.median(before[ink])


def test_a_long_stroke_of_the_digit_is_not_a_line() -> None:
    """A 7's bar: straight and level, but across a third of the page, not all of it."""
    grey = np.full((HEIGHT, WIDTH, 1), 190.0, np.float32)
    grey[100:106, 100:210] = 50
    grey[106:200, 200:206] = 50
    share = paper.levelled(255 - grey)[:, :, 0]
    assert share[100:106, 100:210].min() > 0.9 * 255 * (140 / 190)


@pytest.mark.parametrize(
    ("shape", "side"), [((30, 41), 7), ((9, 9), 9), ((50, 37), 17), ((5, 100), 3), ((4, 4), 11)]
)
def test_the_running_extremes_are_the_windows_extremes(shape: tuple[int, int], side: int) -> None:
    grid = np.random.default_rng(side).normal(size=shape).astype(np.float32)
    half = side // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(grid, half, "edge"), (side, side))
    assert np.array_equal(paper._extreme(grid, side, np.minimum), windows.min(axis=(-1, -2)))
    assert np.array_equal(paper._extreme(grid, side, np.maximum), windows.max(axis=(-1, -2)))
