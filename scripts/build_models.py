"""Builds the bundled models, reproducibly, into a registry tree (default build/models):

    {name}/{version}/model.onnx + manifest.json   (the format: docs/predictions.md)

- Released models, committed under models/, are copied as they are, after a check of each
  file against its manifest's SHA-256 (a released version never changes):
  - digits/3 and digits/2: small CNNs that training/train_digits.py trained with PyTorch (too
    large a framework for every build; each one's training.json records how it was made);
  - digits/1: a small MLP trained on scikit-learn's bundled 8x8 digits and exported with
    skl2onnx by `--digits-1` below (tests/models checks its held-out accuracy).
- colours/1 is built: an RGB model of ImageNet shape (NCHW 3x224x224, mean/std normalised),
  written with onnx.helper: the mean of each normalised channel through a linear layer, so
  that it names the dominant colour. It exists to prove the preprocessing general.

    python scripts/build_models.py [OUT_DIR]
    python scripts/build_models.py --digits-1 OUT_DIR     (re-trains digits/1; for provenance)
"""

from __future__ import annotations

import os

# One BLAS thread for every BLAS library, including any loaded later (scipy's): with several,
# the order of floating-point sums, and so the trained weights, depends on scheduling.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
RELEASES = ROOT / "models"  # committed: {name}/{version}/model.onnx + manifest.json
SEED = 20261122
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def _write(out: Path, name: str, version: str, model: bytes, manifest: dict[str, Any]) -> Path:
    directory = out / name / version
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.onnx").write_bytes(model)
    manifest = {**manifest, "sha256": hashlib.sha256(model).hexdigest()}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return directory


def digits(out: Path) -> float:
    data = load_digits()
    # The dataset's pixels are 0..16, ink high; the model sees pixel/16 (0..1, ink = 1).
    x = (data.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, data.target, test_size=0.25, random_state=SEED, stratify=data.target
    )
    model = MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=2000, random_state=SEED)
    model.fit(x_train, y_train)
    accuracy = float(model.score(x_test, y_test))
    exported = to_onnx(model, x_train[:1], options={id(model): {"zipmap": False}}, target_opset=17)
    _write(
        out,
        "digits",
        "1",
        exported.SerializeToString(),
        {
            "description": "Handwritten digits 0-9 (scikit-learn's 8x8 digits, a small "
            f"multi-layer perceptron); held-out accuracy {accuracy:.4f}",
            "labels": [str(d) for d in range(10)],
            "input": {
                "name": exported.graph.input[0].name,
                "layout": "NC",  # flattened: 64 values per image
                "width": 8,
                "height": 8,
                "colour": "L",
                "background": "light",  # users draw dark digits on light paper
                "fit": "ink",  # crop to the ink and centre it, as the dataset's digits are
                "scale": 1 / 255,
                "mean": [0.0],
                "std": [1.0],
            },
            "output": {"name": "probabilities", "kind": "probabilities"},
        },
    )
    return accuracy


def colours(out: Path) -> None:
    # x: N,3,224,224 (normalised) -> channel means N,3,1,1 -> N,3 -> logits N,3 -> softmax.
    weights = np.eye(3, dtype=np.float32) * 4.0
    bias = np.zeros(3, dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["means"], axis=1),
            helper.make_node("Gemm", ["means", "weights", "bias"], ["logits"], transB=1),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "colours",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
        [
            helper.make_tensor("weights", TensorProto.FLOAT, [3, 3], weights.flatten().tolist()),
            helper.make_tensor("bias", TensorProto.FLOAT, [3], bias.tolist()),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    _write(
        out,
        "colours",
        "1",
        model.SerializeToString(),
        {
            "description": "The dominant colour of a picture: red, green or blue "
            "(ImageNet-shaped input, for the preprocessing's sake)",
            "labels": ["red", "green", "blue"],
            "input": {
                "name": "image",
                "layout": "NCHW",
                "width": 224,
                "height": 224,
                "colour": "RGB",
                "background": "any",
                "fit": "stretch",
                "scale": 1 / 255,
                "mean": IMAGENET_MEAN,
                "std": IMAGENET_STD,
            },
            "output": {"name": "probabilities", "kind": "probabilities"},
        },
    )


def releases(out: Path) -> list[str]:
    """Copies each committed release, after checking its file against its manifest."""
    copied = []
    for manifest in sorted(RELEASES.glob("*/*/manifest.json")):
        source = manifest.parent
        model = (source / "model.onnx").read_bytes()
        if hashlib.sha256(model).hexdigest() != json.loads(manifest.read_text())["sha256"]:
            raise SystemExit(f"{source}: model.onnx does not match its manifest's sha256")
        target = out / source.relative_to(RELEASES)
        target.mkdir(parents=True, exist_ok=True)
        for name in ("model.onnx", "manifest.json"):
            shutil.copyfile(source / name, target / name)
        copied.append(source.relative_to(RELEASES).as_posix())
    return copied


def main(arguments: list[str]) -> None:
    if arguments[:1] == ["--digits-1"]:
        with threadpool_limits(limits=1):  # and for libraries loaded before this module
            accuracy = digits(Path(arguments[1]))
        print(f"built {arguments[1]}: digits/1 (held-out accuracy {accuracy:.4f})")
        return
    out = Path(arguments[0]) if arguments else Path("build/models")
    colours(out)
    print(f"built {out}: colours/1; copied {', '.join(releases(out))}")


if __name__ == "__main__":
    main(sys.argv[1:])
