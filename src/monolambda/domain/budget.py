"""What one request may make the function do, however its fields and operations add up.

Every other limit is per field or per document; this one is per request and shared: each
field that decodes images spends from the same budget before it decodes anything, so aliases,
fragments and batched operations cannot multiply the work past it.
"""

from typing import NamedTuple

from monolambda.domain.errors import BadUserInputError


class WorkLimits(NamedTuple):
    # 64 images: one batched inference's worth (bench/predict.py measures that size).
    max_images: int = 64
    # Decoded pixels per request. Decoding costs ~10 ns a pixel, and a decoded image briefly
    # holds up to 4 bytes a pixel before it is shrunk: 40 Mpx keeps the worst request well
    # under 2 s and under half of a 512 MB function (bench/amplification.py).
    max_pixels: int = 40_000_000


class WorkBudget:
    """One request's allowance; spent by the use cases, never refilled."""

    __slots__ = ("_images", "_limits", "_pixels")

    def __init__(self, limits: WorkLimits) -> None:
        self._limits = limits
        self._images = limits.max_images
        self._pixels = limits.max_pixels

    def spend_images(self, count: int) -> None:
        if count > self._images:
            raise BadUserInputError(
                f"at most {self._limits.max_images} images per request"
                + (f" ({self._images} left)" if self._images < self._limits.max_images else "")
            )
        self._images -= count

    def spend_pixels(self, pixels: int) -> None:
        if pixels > self._pixels:
            raise BadUserInputError(
                f"the images add up to {pixels:,} pixels; a request may decode at most "
                f"{self._limits.max_pixels:,}"
            )
        self._pixels -= pixels
