from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from monolambda.adapters.model_cache import ModelFileCache
from monolambda.domain.models import ModelUnavailableError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Writer:
    """A fetch that writes `data`, counting its calls."""

    def __init__(self, data: bytes, delay: float = 0.0) -> None:
        self.data = data
        self.delay = delay
        self.calls: list[Path] = []

    def __call__(self, path: Path) -> None:
        self.calls.append(path)
        time.sleep(self.delay)
        path.write_bytes(self.data)


def test_fetched_once_then_served_from_disk(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, budget_bytes=1000)
    fetch = Writer(b"model-a")
    first = cache.path_for("a/1/model.onnx", sha(b"model-a"), fetch)
    second = cache.path_for("a/1/model.onnx", sha(b"model-a"), fetch)
    assert first == second
    assert Path(first).read_bytes() == b"model-a"
    assert len(fetch.calls) == 1


def test_a_warm_container_reuses_files_already_in_tmp(tmp_path: Path) -> None:
    ModelFileCache(tmp_path, 1000).path_for("a/1/model.onnx", sha(b"x"), Writer(b"x"))
    fetch = Writer(b"x")
    ModelFileCache(tmp_path, 1000).path_for("a/1/model.onnx", sha(b"x"), fetch)
    assert fetch.calls == []


def test_a_corrupt_download_never_lands(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, 1000)
    with pytest.raises(ModelUnavailableError, match="does not match"):
        cache.path_for("a/1/model.onnx", sha(b"expected"), Writer(b"tampered"))
    assert list(tmp_path.rglob("*.onnx")) == []
    assert list(tmp_path.rglob("*.part")) == []


def use(cache: ModelFileCache, name: str) -> Callable[[], str]:
    data = name.encode() * 100
    return lambda: cache.path_for(f"{name}/1/model.onnx", sha(data), Writer(data))


def left(root: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in root.rglob("model.onnx"))


def test_least_recently_used_files_are_evicted_within_the_budget(tmp_path: Path) -> None:
    # Back to back, with no pause: the order of use is kept even when the clock does not
    # move between two uses (file times tick in steps of a few milliseconds on some kernels).
    cache = ModelFileCache(tmp_path, budget_bytes=250)
    use(cache, "a")()
    use(cache, "b")()
    use(cache, "a")()  # a is now more recent than b
    use(cache, "c")()  # over budget: b goes
    assert left(tmp_path) == ["a", "c"]
    use(cache, "b")()  # back again: a is now the least recently used
    assert left(tmp_path) == ["b", "c"]


def test_files_from_an_earlier_container_are_older_than_this_ones(tmp_path: Path) -> None:
    use(ModelFileCache(tmp_path, budget_bytes=1000), "o")()
    earlier = next(tmp_path.rglob("model.onnx"))
    os.utime(earlier, ns=(time.time_ns() - 60 * 10**9,) * 2)  # used a minute ago
    cache = ModelFileCache(tmp_path, budget_bytes=250)
    use(cache, "a")()
    use(cache, "b")()  # three files of 100 bytes: the earlier container's goes
    assert left(tmp_path) == ["a", "b"]


def test_one_file_bigger_than_the_budget_is_still_served(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, budget_bytes=10)
    path = cache.path_for("big/1/model.onnx", sha(b"z" * 100), Writer(b"z" * 100))
    assert os.path.getsize(path) == 100


def test_concurrent_first_requests_download_once(tmp_path: Path) -> None:
    cache = ModelFileCache(tmp_path, 10_000)
    fetch = Writer(b"slow", delay=0.2)
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
    assert len(fetch.calls) == 1
