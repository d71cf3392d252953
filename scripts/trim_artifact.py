"""Trims a built Lambda artifact to what the function runs: trim_artifact.py ARTIFACT_DIR.

sam build installs whole wheels: their test suites, headers, type stubs, tools the function
never imports, and shared libraries nothing loads. Lambda's limit is 250 MiB unzipped and
every MiB is read at a cold start's first touch, so each entry below names what goes and why
nothing the function does needs it. tests/packaging/test_artifact.py runs every module of
the function and a predict, a job and the other routes from the trimmed artifact alone.
Prints the size before and after, and the largest parts left.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

# Directories (globs under the artifact) and why they can go.
UNUSED_DIRS = {
    "numpy/**/tests": "numpy's own test suites",
    "numpy/f2py": "numpy's Fortran wrapper generator (a build tool)",
    "numpy/_core/include": "C headers, for building extensions",
    "numpy/_pyinstaller": "hooks for PyInstaller",
    "onnxruntime/tools": "model conversion tools (what imports protobuf and flatbuffers)",
    "onnxruntime/transformers": "transformer-model optimisers, a tool",
    "onnxruntime/quantization": "model quantisation, a tool",
    "onnxruntime/datasets": "sample models",
    "onnxruntime/backend": "the ONNX backend-test API (needs the onnx package, not installed)",
    # Only onnxruntime's tools above import these (onnxruntime's own wheel requires them).
    "google": "protobuf",
    "protobuf-*.dist-info": "protobuf's metadata",
    "flatbuffers": "flatbuffers",
    "flatbuffers-*.dist-info": "flatbuffers' metadata",
    "aws_lambda_powertools/event_handler": "Powertools' REST and AppSync routers and their "
    "Swagger UI bundle: Strawberry and Mangum serve the API",
}

# Files (globs under the artifact) and why they can go.
UNUSED_FILES = {
    "onnxruntime/capi/libonnxruntime.so.*": "ONNX Runtime's C API library: the Python "
    "binding (onnxruntime_pybind11_state) has the runtime linked in and never loads it",
    "numpy/_core/_simd.*.so": "numpy's SIMD test module: only numpy's own tests import it",
    "PIL/_avif.*.so": "AVIF: images are PNG, JPEG, WebP or GIF (adapters/images.py)",
    "PIL/_imagingft.*.so": "FreeType text drawing",
    "PIL/_imagingtk.*.so": "Tk",
    "**/*.pyi": "type stubs",
    "**/*.pxd": "Cython declarations",
    "**/*.h": "C headers",
}

# Libraries vendored by auditwheel beside a package (numpy.libs/, pillow.libs/): each stays
# only while an extension that is left, or another library that stays, needs it.
VENDORED = "*.libs"

NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def _needed(path: Path) -> set[str]:
    """The libraries an ELF file names as needed (readelf reads any architecture's ELF)."""
    out = subprocess.run(
        ["readelf", "--dynamic", "--wide", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(NEEDED.findall(out))


def _unneeded_vendored(root: Path) -> list[Path]:
    vendored = {p.name: p for d in root.glob(VENDORED) for p in d.iterdir() if p.is_file()}
    extensions = [
        p for p in root.rglob("*.so*") if p.is_file() and p.name not in vendored and _is_elf(p)
    ]
    wanted: set[str] = set()
    pending = [name for ext in extensions for name in _needed(ext)]
    while pending:
        name = pending.pop()
        if name in vendored and name not in wanted:
            wanted.add(name)
            pending.extend(_needed(vendored[name]))
    return [path for name, path in sorted(vendored.items()) if name not in wanted]


def trim(root: Path) -> list[str]:
    removed: list[str] = []
    for pattern in UNUSED_DIRS:
        for path in sorted(root.glob(pattern)):
            if path.is_dir():
                shutil.rmtree(path)
                removed.append(str(path.relative_to(root)))
    for pattern in UNUSED_FILES:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                path.unlink()
                removed.append(str(path.relative_to(root)))
    for path in _unneeded_vendored(root):
        path.unlink()
        removed.append(str(path.relative_to(root)))
    return removed


def largest_parts(root: Path, count: int = 8) -> list[tuple[str, int]]:
    parts = [(p.name, _size(p) if p.is_dir() else p.stat().st_size) for p in root.iterdir()]
    return sorted(parts, key=lambda part: -part[1])[:count]


def main() -> None:
    root = Path(sys.argv[1])
    before = _size(root)
    removed = trim(root)
    after = _size(root)
    mib = 1024 * 1024
    print(
        f"trimmed {root}: {before / mib:.1f} MiB -> {after / mib:.1f} MiB "
        f"({len(removed)} paths removed)"
    )
    print("largest parts: " + ", ".join(f"{n} {s / mib:.1f}" for n, s in largest_parts(root)))


if __name__ == "__main__":
    main()
