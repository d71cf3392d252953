"""A drawing reaches the digits model exactly as it did before photos' paper was levelled under
shadows and printed lines (issue 31): `paper: uneven` changes nothing for a drawing's flat,
clean paper. The digest below is of what the preprocessing made of these drawings before
that change (the code of commit e46fab1); a change to the drawing path changes it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from monolambda.adapters.images import PillowImages
from training import evaluate, mnist, scenes

DIGITS = Path(__file__).resolve().parents[2] / "models" / "digits"
DRAWINGS = (
    "28x28",
    "280x280",
    "480x320 canvas",
    "light on dark",
    "thin pen",
    "thick marker",
    "transparent canvas",
    "binary",
)
# 30 reserved samples (every 50th) in each drawing scene, as evaluate draws them, through
# digits 2's and 3's input spec (the same: `paper: uneven`), float32 bytes in scene order.
BEFORE = "efe3c4e3c3d2c45455bb5a55a81244ee44762404e4464ad3780f9d7369f66f4d"


def test_every_drawing_reaches_the_model_exactly_as_before() -> None:
    reserved = mnist.reserved()
    for version in ("2", "3"):
        manifest, _ = evaluate.load(DIGITS / version)
        assert manifest.input.paper == "uneven"
        digest = hashlib.sha256()
        for name in DRAWINGS:
            rng = np.random.default_rng(evaluate.SEED)
            pictures = [scenes.as_sent(scenes.SCENES[name](s, rng)) for s in reserved.images[::50]]
            array = PillowImages().prepare(pictures, manifest.input).array
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        assert digest.hexdigest() == BEFORE, version
