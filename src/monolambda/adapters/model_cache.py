"""Model files on local disk (/tmp on Lambda): checked, atomic, bounded, fetched once.

- A file is fetched into a temporary name beside its final one, its SHA-256 checked, then
  renamed into place: a reader never sees half a file, and a bad download never lands.
- Least recently used files are evicted to stay within a byte budget (kept below the
  function's ephemeral storage); the file just fetched is never the one evicted.
- Concurrent first requests for one file wait for a single download.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from monolambda.domain.models import ModelUnavailableError

Fetch = Callable[[Path], None]  # writes the file's bytes to the given path


class ModelFileCache:
    def __init__(self, root: Path, budget_bytes: int) -> None:
        self.root = root
        self._budget = budget_bytes
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._verified: set[str] = set()
        self._last_use_ns = 0
        self.fetches = 0

    def path_for(self, relative: str, sha256: str, fetch: Fetch) -> str:
        target = self.root / relative
        key = str(target)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            fetched = key not in self._verified and not (
                target.exists() and _sha256(target) == sha256
            )
            if fetched:
                self._download(target, sha256, fetch)
            self._verified.add(key)
            self._touch(target)
        if fetched:  # only a new file can take the cache over its budget
            self._evict(keep=target)
        return key

    def _download(self, target: Path, sha256: str, fetch: Fetch) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = _partial(target)
        try:
            fetch(partial)
            self.fetches += 1
            if _sha256(partial) != sha256:
                raise ModelUnavailableError(
                    f"{target.parent.name}: the model file does not match its manifest's SHA-256"
                )
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def _touch(self, path: Path) -> None:
        """Marks `path` most recently used. Its modification time is the order (it survives
        into the next container); a kernel's clock may tick coarsely, so each use gets a
        time strictly after the one before."""
        with self._guard:
            self._last_use_ns = max(time.time_ns(), self._last_use_ns + 1)
            stamp = self._last_use_ns
        os.utime(path, ns=(stamp, stamp))

    def keep(self, path: Path, content: bytes) -> None:
        """A small companion file (a manifest), written atomically; evicted with nothing."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = _partial(path)
        partial.write_bytes(content)
        os.replace(partial, path)

    def _evict(self, keep: Path) -> None:
        with self._guard:
            files = sorted(
                (
                    p
                    for p in self.root.rglob("*.onnx")
                    if p.is_file() and not p.name.endswith(".part")
                ),
                key=lambda p: p.stat().st_mtime_ns,
            )
            total = sum(p.stat().st_size for p in files)
            for path in files:
                if total <= self._budget:
                    break
                if path == keep:
                    continue
                total -= path.stat().st_size
                path.unlink(missing_ok=True)
                self._verified.discard(str(path))


def _partial(path: Path) -> Path:
    """A temporary name beside `path`, private to this process and thread."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
