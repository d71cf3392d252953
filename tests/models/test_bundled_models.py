"""The bundled models, built as scripts/build_models.py builds them, run through the real
preprocessing and onnxruntime: accuracy, size, reproducibility, and pictures as users make them."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from devstack.seed import ensure_models_built
from monolambda.adapters.images import PillowImages
from monolambda.adapters.onnx_inference import OnnxInference
from monolambda.domain.models import ModelManifest
from tests.support.images import digit_drawing, encode, solid
from training import evaluate

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261122  # as in scripts/build_models.py


def build(out: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_models.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models")
    print(build(out))
    return out


def load(models: Path, name: str) -> tuple[ModelManifest, str]:
    return evaluate.load(models / name / "1")


def classify(models: Path, name: str, images: list[bytes]) -> list[str]:
    manifest, path = load(models, name)
    batch = PillowImages().prepare(images, manifest.input)
    scores = OnnxInference(memory_mb=512).run(manifest, path, batch)
    return [manifest.labels[int(np.argmax(row))] for row in scores]


def held_out_digits() -> tuple[np.ndarray, np.ndarray]:
    data = load_digits()
    _, x_test, _, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=SEED, stratify=data.target
    )
    return x_test, y_test


def test_digits_accuracy_size_and_integrity(models: Path) -> None:
    manifest, path = load(models, "digits")
    x_test, y_test = held_out_digits()
    batch = (x_test / 16.0).astype(np.float32)  # the model's own input, before any picture
    scores = OnnxInference(memory_mb=512).run(
        manifest, path, type("B", (), {"array": batch, "count": len(batch)})()
    )
    accuracy = float(np.mean(np.argmax(np.asarray(scores), axis=1) == y_test))
    print(f"digits held-out accuracy: {accuracy:.4f} on {len(y_test)} images")
    assert accuracy >= 0.97
    size = Path(path).stat().st_size
    assert size < 1024 * 1024
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == manifest.sha256


def test_the_build_copies_the_committed_releases(models: Path) -> None:
    """digits/1 and digits/2 (released, committed) land beside the model built here."""
    for version in ("1", "2"):
        for name in ("model.onnx", "manifest.json"):
            committed = (ROOT / "models" / "digits" / version / name).read_bytes()
            assert (models / "digits" / version / name).read_bytes() == committed
    assert not (models / "digits" / "2" / "training.json").exists()  # provenance stays here


def test_the_build_is_reproducible(models: Path, tmp_path: Path) -> None:
    build(tmp_path)
    for name in ("digits", "colours"):
        first = (models / name / "1" / "model.onnx").read_bytes()
        second = (tmp_path / name / "1" / "model.onnx").read_bytes()
        assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()


@pytest.mark.parametrize(("size", "background"), [(28, "light"), (200, "light"), (64, "dark")])
def test_pictures_of_digits_as_users_draw_them(models: Path, size: int, background: str) -> None:
    """Held-out digits redrawn as size x size PNGs: dark ink on light paper as the manifest
    says, or (a manifest saying "dark") light ink on a dark screen."""
    manifest, path = load(models, "digits")
    spec = manifest.input._replace(background=background)
    x_test, y_test = held_out_digits()
    sample = slice(0, 150)
    pictures = [
        encode(digit_drawing(x, size, dark_on_light=background == "light")) for x in x_test[sample]
    ]
    batch = PillowImages().prepare(pictures, spec)
    scores = OnnxInference(memory_mb=512).run(manifest, path, batch)
    accuracy = float(np.mean(np.argmax(np.asarray(scores), axis=1) == y_test[sample]))
    print(f"{size}x{size} pictures on {background} paper: accuracy {accuracy:.3f}")
    assert accuracy >= 0.9


def test_digits_in_colour(models: Path) -> None:
    """Navy ink on cream paper, as a colour PNG: converted to grey, inverted, recognised."""
    manifest, path = load(models, "digits")
    x_test, y_test = held_out_digits()
    sample = slice(150, 250)
    pictures = []
    for x in x_test[sample]:
        grey = np.asarray(digit_drawing(x, 96), dtype=np.float32) / 255  # 1 = paper, 0 = ink
        paper, ink = np.array([250, 240, 205]), np.array([20, 30, 110])
        rgb = (grey[..., None] * paper + (1 - grey[..., None]) * ink).astype(np.uint8)
        pictures.append(encode(Image.fromarray(rgb, "RGB")))
    batch = PillowImages().prepare(pictures, manifest.input)
    scores = OnnxInference(memory_mb=512).run(manifest, path, batch)
    accuracy = float(np.mean(np.argmax(np.asarray(scores), axis=1) == y_test[sample]))
    print(f"96x96 colour pictures: accuracy {accuracy:.3f}")
    assert accuracy >= 0.9


def test_colours_goes_through_rgb_nchw_normalisation(models: Path) -> None:
    pictures = [
        encode(solid(c), fmt)
        for c, fmt in [((220, 30, 30), "PNG"), ((20, 200, 40), "JPEG"), ((30, 40, 230), "WEBP")]
    ]
    assert classify(models, "colours", pictures) == ["red", "green", "blue"]


def test_a_checkout_that_gained_a_release_rebuilds(tmp_path: Path) -> None:
    """`make dev` builds build/models once; a tree without a committed release, or with an
    older copy of one, is built again rather than seeded stale."""
    built = ensure_models_built(tmp_path)
    assert (built / "digits" / "2" / "manifest.json").is_file()
    shutil.rmtree(built / "digits" / "2")
    (built / "digits" / "1" / "manifest.json").write_text("{}")
    ensure_models_built(tmp_path)
    for version in ("1", "2"):
        committed = ROOT / "models" / "digits" / version / "manifest.json"
        assert (built / "digits" / version / "manifest.json").read_bytes() == (
            committed.read_bytes()
        )
