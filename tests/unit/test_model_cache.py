from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from monolambda.adapters.model_cache import ModelFileCache
from monolambda.domain.models import ModelUnavailableError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def writer(data: bytes, delay: float = 0.0):  # type: ignore[no-untyped-def]
    calls = []

    def fetch(path: Path) -> None:
        calls.append(path)
        time.sleep(delay)
        path.write_bytes(data)

    fetch.calls = calls  # type: ignore[attr-defined]
    return fetch


def test_fetched_once_then_served_from_disk(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, budget_bytes=1000)
    fetch = writer(b"model-a")
    first = cache.path_for("a/1/model.onnx", sha(b"model-a"), fetch)
    second = cache.path_for("a/1/model.onnx", sha(b"model-a"), fetch)
    assert first == second
    assert Path(first).read_bytes() == b"model-a"
    assert len(fetch.calls) == 1  # type: ignore[attr-defined]


def test_a_warm_container_reuses_files_already_in_tmp(tmp_path: Path) -> None:
    ModelFileCache(tmp_path, 1000).path_for("a/1/model.onnx", sha(b"x"), writer(b"x"))
    fetch = writer(b"x")
    ModelFileCache(tmp_path, 1000).path_for("a/1/model.onnx", sha(b"x"), fetch)
    assert fetch.calls == []  # type: ignore[attr-defined]


def test_a_corrupt_download_never_lands(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, 1000)
    with pytest.raises(ModelUnavailableError, match="does not match"):
        cache.path_for("a/1/model.onnx", sha(b"expected"), writer(b"tampered"))
    assert list(tmp_path.rglob("*.onnx")) == []
    assert list(tmp_path.rglob("*.part")) == []


def test_least_recently_used_files_are_evicted_within_the_budget(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, budget_bytes=250)
    for name in ("a", "b"):
        cache.path_for(
            f"{name}/1/model.onnx", sha(name.encode() * 100), writer(name.encode() * 100)
        )
        time.sleep(0.01)
    cache.path_for("a/1/model.onnx", sha(b"a" * 100), writer(b"a" * 100))  # a is now recent
    time.sleep(0.01)
    cache.path_for("c/1/model.onnx", sha(b"c" * 100), writer(b"c" * 100))
    left = sorted(p.parent.parent.name for p in tmp_path.rglob("model.onnx"))
    assert left == ["a", "c"]


def test_one_file_bigger_than_the_budget_is_still_served(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, budget_bytes=10)
    path = cache.path_for("big/1/model.onnx", sha(b"z" * 100), writer(b"z" * 100))
    assert os.path.getsize(path) == 100


def test_concurrent_first_requests_download_once(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, 10_000)
    fetch = writer(b"slow", delay=0.2)
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(cache.path_for("s/1/model.onnx", sha(b"slow"), fetch))
        )
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert len(fetch.calls) == 1  # type: ignore[attr-defined]
