"""The model registry's vocabulary: what a manifest promises, validated before any use.

Registry layout (S3): models/{name}/{version}/model.onnx beside manifest.json in the same
folder; the current version of each model is the SSM parameter /{stack}/models/{name}/current.
"""

import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from monolambda.domain.errors import ModelUnavailableError

LAYOUTS = ("NCHW", "NHWC", "NC")  # NC: one flat vector per image (pixels in reading order)
COLOURS = {"L": 1, "RGB": 3}
# "light": dark ink on light paper (inverted for the model); "dark": light ink as the model
# wants it; "auto": whichever the picture's edge says its paper is (ink made bright).
BACKGROUNDS = ("light", "dark", "auto", "any")
FITS = ("stretch", "ink")  # "ink": crop to the ink's bounding box, centre it, then resize
CENTRES = ("box", "mass")  # where a fitted digit's middle goes: its box's, or its ink's mass
CONTRASTS = ("none", "stretch")  # "stretch": paper to 0 and the strongest ink to full scale
# "flat": the paper's level is its edge's (a drawing, a scan); "uneven": a photo's, levelled
# at every pixel under light and shadow, printed lines taken off, and the ink told from the
# paper's noise (adapters.paper; a drawing's flat, clean paper read as "flat").
PAPERS = ("flat", "uneven")
MAX_SIDE = 4096


__all__ = ["ModelUnavailableError"]  # re-exported: the registry's own failure


class InvalidManifestError(ValueError):
    """A manifest.json that does not describe a usable model; the message says what is wrong."""


class InputSpec(NamedTuple):
    name: str
    layout: str
    width: int
    height: int
    colour: str
    background: str
    fit: str
    scale: float
    mean: tuple[float, ...]
    std: tuple[float, ...]
    # fit "ink" only: the side of the box the ink is scaled into (at most the input's; the rest
    # is margin, as MNIST's 20-pixel digits in 28), and where its middle is placed.
    ink_box: int | None = None
    centre: str = "box"
    contrast: str = "none"
    paper: str = "flat"

    @property
    def channels(self) -> int:
        return COLOURS[self.colour]


class ModelManifest(NamedTuple):
    name: str
    version: str
    description: str
    labels: tuple[str, ...]
    input: InputSpec
    output_name: str
    sha256: str

    @classmethod
    def parse(cls, data: object, *, name: str, version: str) -> "ModelManifest":
        if not isinstance(data, Mapping):
            raise InvalidManifestError("the manifest is not a JSON object")
        labels = data.get("labels")
        if not (isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)):
            raise InvalidManifestError("labels must be a non-empty list of strings")
        sha256 = data.get("sha256")
        if not (isinstance(sha256, str) and re.fullmatch(r"[0-9a-f]{64}", sha256)):
            raise InvalidManifestError("sha256 must be 64 lower-case hex digits")
        output = data.get("output") or {}
        output_name = output.get("name") if isinstance(output, Mapping) else None
        if not isinstance(output_name, str) or not output_name:
            raise InvalidManifestError("output.name must name the model's probabilities output")
        return cls(
            name=name,
            version=version,
            description=str(data.get("description", "")),
            labels=tuple(labels),
            input=_input(data.get("input")),
            output_name=output_name,
            sha256=sha256,
        )


def _input(raw: Any) -> InputSpec:
    if not isinstance(raw, Mapping):
        raise InvalidManifestError("input must be an object")
    layout, colour = raw.get("layout"), raw.get("colour")
    if layout not in LAYOUTS:
        raise InvalidManifestError(f"input.layout must be one of {', '.join(LAYOUTS)}")
    if colour not in COLOURS:
        raise InvalidManifestError(f"input.colour must be one of {', '.join(COLOURS)}")
    background, fit = raw.get("background", "any"), raw.get("fit", "stretch")
    if background not in BACKGROUNDS:
        raise InvalidManifestError(f"input.background must be one of {', '.join(BACKGROUNDS)}")
    if fit not in FITS:
        raise InvalidManifestError(f"input.fit must be one of {', '.join(FITS)}")
    width, height = _side(raw, "width"), _side(raw, "height")
    mean, std = _floats(raw.get("mean", [0.0]), "mean"), _floats(raw.get("std", [1.0]), "std")
    channels = COLOURS[str(colour)]
    if len(mean) not in (1, channels) or len(std) not in (1, channels):
        raise InvalidManifestError("input.mean and input.std need 1 value or one per channel")
    if any(s <= 0 for s in std):
        raise InvalidManifestError("input.std values must be positive")
    scale = raw.get("scale", 1 / 255)
    if not isinstance(scale, int | float) or not math.isfinite(scale) or scale <= 0:
        raise InvalidManifestError("input.scale must be a positive number")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidManifestError("input.name must name the model's input")
    ink_box = raw.get("ink_box")
    if ink_box is not None and not (
        isinstance(ink_box, int) and 1 <= ink_box <= min(width, height)
    ):
        raise InvalidManifestError("input.ink_box must be an integer from 1 to the input's side")
    centre = _choice(raw, "centre", CENTRES)
    contrast = _choice(raw, "contrast", CONTRASTS)
    paper = _choice(raw, "paper", PAPERS)
    return InputSpec(
        name=name,
        layout=str(layout),
        width=width,
        height=height,
        colour=str(colour),
        background=str(background),
        fit=str(fit),
        scale=float(scale),
        mean=mean,
        std=std,
        ink_box=ink_box,
        centre=centre,
        contrast=contrast,
        paper=paper,
    )


def _choice(raw: Mapping[str, Any], field: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed`; the first when the manifest leaves the field out (what manifests
    written before it meant)."""
    value = raw.get(field, allowed[0])
    if value not in allowed:
        raise InvalidManifestError(f"input.{field} must be one of {', '.join(allowed)}")
    return str(value)


def _side(raw: Mapping[str, Any], field: str) -> int:
    value = raw.get(field)
    if not (isinstance(value, int) and 1 <= value <= MAX_SIDE):
        raise InvalidManifestError(f"input.{field} must be an integer from 1 to {MAX_SIDE}")
    return value


def _floats(raw: object, field: str) -> tuple[float, ...]:
    if not (isinstance(raw, list) and raw and all(isinstance(x, int | float) for x in raw)):
        raise InvalidManifestError(f"input.{field} must be a non-empty list of numbers")
    return tuple(float(x) for x in raw)


class ModelInfo(NamedTuple):
    """A model as the registry lists it: its current version's manifest and all versions."""

    name: str
    current: str
    versions: tuple[str, ...]
    manifest: ModelManifest


class RankedLabel(NamedTuple):
    label: str
    score: float


class Prediction(NamedTuple):
    model: str
    version: str
    labels: tuple[RankedLabel, ...]
    decode_ms: float
    inference_ms: float
