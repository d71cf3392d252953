from __future__ import annotations

import copy
from typing import Any

import pytest

from monolambda.domain.models import InvalidManifestError, ModelManifest

VALID: dict[str, Any] = {
    "description": "test",
    "labels": ["a", "b"],
    "input": {
        "name": "x",
        "layout": "NCHW",
        "width": 4,
        "height": 3,
        "colour": "RGB",
        "background": "any",
        "fit": "stretch",
        "scale": 1 / 255,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.2],
    },
    "output": {"name": "probabilities"},
    "sha256": "0" * 64,
}


def test_a_valid_manifest() -> None:
    manifest = ModelManifest.parse(VALID, name="m", version="1")
    assert manifest.labels == ("a", "b")
    assert manifest.input.channels == 3
    assert (manifest.input.width, manifest.input.height) == (4, 3)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("labels",), [], "labels"),
        (("labels",), [1, 2], "labels"),
        (("sha256",), "abc", "sha256"),
        (("output",), {}, "output.name"),
        (("input", "layout"), "CHW", "input.layout"),
        (("input", "colour"), "CMYK", "input.colour"),
        (("input", "width"), 0, "input.width"),
        (("input", "height"), 5000, "input.height"),
        (("input", "mean"), [0.1, 0.2], "input.mean"),
        (("input", "std"), [0.0], "positive"),
        (("input", "scale"), -1, "input.scale"),
        (("input", "background"), "grey", "input.background"),
        (("input", "fit"), "zoom", "input.fit"),
        (("input", "name"), "", "input.name"),
        (("input", "ink_box"), 4, "input.ink_box"),  # more than the 3-pixel height
        (("input", "ink_box"), 2.5, "input.ink_box"),
        (("input", "centre"), "middle", "input.centre"),
        (("input", "contrast"), "auto", "input.contrast"),
        (("input", "paper"), "lit", "input.paper"),
    ],
)
def test_broken_manifests_say_what_is_wrong(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    broken = copy.deepcopy(VALID)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidManifestError, match=message):
        ModelManifest.parse(broken, name="m", version="1")


def test_how_a_digit_is_fitted_defaults_to_filling_the_frame() -> None:
    spec = ModelManifest.parse(VALID, name="m", version="1").input
    assert (spec.ink_box, spec.centre, spec.contrast) == (None, "box", "none")
    assert spec.paper == "flat"  # what manifests before the field meant
    fitted = copy.deepcopy(VALID)
    fitted["input"] |= {"background": "auto", "ink_box": 2, "centre": "mass"}
    fitted["input"] |= {"contrast": "stretch"}
    spec = ModelManifest.parse(fitted, name="m", version="2").input
    assert (spec.background, spec.ink_box, spec.centre, spec.contrast) == (
        "auto",
        2,
        "mass",
        "stretch",
    )


def test_not_an_object() -> None:
    with pytest.raises(InvalidManifestError, match="not a JSON object"):
        ModelManifest.parse([1], name="m", version="1")
