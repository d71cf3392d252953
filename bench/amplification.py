"""What one request can cost, at the limits the API enforces (issue: cost amplification).

1. The amplification request of the external run — 15 aliases of predictBatch, each with 16
   copies of one 5000x5000 PNG passed once as a variable (521 KB) — and a single batch of
   those 16 copies: time to the refusal (goal <= 100 ms).
2. The worst requests the API accepts, each in a fresh process with both bundled models
   loaded: 40 megapixels per request (the budget), as PNG with transparency, palette GIF,
   WebP (the slowest decoder), JPEG, 64 smaller images, and one 25-megapixel upload read back
   from S3. Wall time of the request (goal <= 2 s) and the process's peak RSS against the
   function's 512 MB (goal <= 50 %).

S3 and SSM are a moto server started here (as bench/predict.py does).

    python bench/amplification.py [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.predict import BUCKET, COMMON, seed  # noqa: E402
from devstack.seed import ensure_models_built  # noqa: E402
from devstack.standins import free_port, moto_server  # noqa: E402

FUNCTION_MB = 512
BATCH = "query($i: PredictBatchInput!) { predictBatch(input: $i) { labels { label } } }"

CHILD = """
import os
from monolambda.handler import handler
def status(field):
    # /proc's figures are this process's own (ru_maxrss keeps the forked parent's peak).
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

files = json.loads(sys.argv[1])
images = [base64.b64encode(open(p, "rb").read()).decode() for p in files["inline"]]
warm = event(PREDICT, {"i": {"image": base64.b64encode(PNG).decode()}})
for model in ("digits", "colours"):  # both models loaded, as a busy container has them
    r = handler(event(PREDICT, {"i": {"image": base64.b64encode(PNG).decode(), "model": model}}), Context())
    assert '"errors"' not in r["body"], r
if files.get("s3Key"):
    request = event(PREDICT, {"i": {"s3Key": files["s3Key"], "model": files["model"]}})
else:
    request = event(BATCH, {"i": {"images": images, "model": files["model"]}})
before = status("VmRSS")
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); r = handler(request, Context()); times.append(time.perf_counter() - t)
    assert '"errors"' not in r["body"], r["body"][:500]
peak = status("VmHWM")
print(json.dumps({"max_s": max(times), "median_s": sorted(times)[len(times) // 2],
                  "rss_before": before, "rss_peak": peak}))
"""

REFUSAL = """
import statistics
from monolambda.handler import handler
png = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
aliases = " ".join(f"a{n}: predictBatch(input: {{images: $i}}) {{ labels {{ label }} }}" for n in range(15))
amplified = event(f"query($i: [String!]!) {{ {aliases} }}", {"i": [png] * 16})
single = event(BATCH, {"i": {"images": [png] * 16}})
r = handler(event(PREDICT, {"i": {"image": base64.b64encode(PNG).decode()}}), Context())
out = {"body_kb": len(amplified["body"]) / 1024}
for name, request in (("amplified", amplified), ("single", single)):
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter(); r = handler(request, Context()); times.append(time.perf_counter() - t)
        body = json.loads(r["body"])
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body
    out[name] = {"first_ms": times[0] * 1000, "max_ms": max(times) * 1000,
                 "median_ms": statistics.median(times) * 1000, "message": body["errors"][0]["message"]}
out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def drawing(size: tuple[int, int], mode: str) -> Image.Image:
    """A digit-like stroke on a canvas: the content people send, compressible as theirs is."""
    canvas = Image.new("RGBA", size, (255, 255, 255, 0))
    width, height = size
    ImageDraw.Draw(canvas).line(
        [(width * 0.45, height * 0.2), (width * 0.55, height * 0.8)],
        fill=(0, 0, 0, 255),
        width=max(2, width // 40),
    )
    if mode == "RGBA":
        return canvas
    flat = Image.alpha_composite(Image.new("RGBA", size, "white"), canvas)
    return flat.convert(mode) if mode != "P" else flat.convert("P", palette=Image.Palette.ADAPTIVE)


def candidates(directory: Path) -> dict[str, dict[str, Any]]:
    """The worst accepted requests, each 40 Mpx (the request budget) unless noted."""

    def files(name: str, images: list[bytes]) -> list[str]:
        paths = []
        for n, data in enumerate(images):
            path = directory / f"{name}-{n}"
            path.write_bytes(data)
            paths.append(str(path))
        return paths

    largest = [(5000, 5000), (5000, 3000)]  # 25 + 15 megapixels
    webp = [(3000, 2000)] * 6  # 6 x 6: a WebP image's own limit
    cases: dict[str, dict[str, Any]] = {}
    for name, fmt, mode, options, sizes in (
        ("PNG with transparency", "PNG", "RGBA", {}, largest),
        ("palette GIF", "GIF", "P", {}, largest),
        ("WebP with transparency", "WEBP", "RGBA", {"quality": 80}, webp),
        ("JPEG", "JPEG", "RGB", {"quality": 90}, largest),
    ):
        images = [encoded(drawing(size, mode), fmt, **options) for size in sizes]
        cases[f"{len(sizes)} images, {name}"] = {"inline": files(name, images), "model": "digits"}
    cases["2 images, PNG, colours model"] = {
        "inline": cases["2 images, PNG with transparency"]["inline"],
        "model": "colours",
    }
    small = encoded(drawing((790, 790), "RGBA"), "PNG")  # 64 x 0.62 Mpx
    cases["64 images, PNG"] = {"inline": files("small", [small] * 64), "model": "digits"}
    return cases


def upload(directory: Path, moto_url: str) -> dict[str, Any]:
    """A 25-megapixel photo-like JPEG near the 20 MiB upload limit, already in S3."""
    import boto3  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (5000, 5000, 3), dtype=np.uint8)
    data = encoded(Image.fromarray(noise, "RGB"), "JPEG", quality=85)
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto's, on 127.0.0.1
    )
    key = "uploads/bench/photo.jpg"
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    return {"inline": [], "s3Key": key, "model": "digits", "mb": len(data) / 1e6}


def run(program: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", COMMON + program, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="requests per case")
    args = parser.parse_args()
    models = ensure_models_built()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        moto = moto_server(free_port(), directory / "moto.log")
        moto.start()
        try:
            moto.wait_ready()
            env = {**seed(moto.url, models, directory), "POWERTOOLS_LOG_LEVEL": "ERROR"}
            bomb = directory / "5000x5000.png"
            bomb.write_bytes(encoded(Image.new("L", (5000, 5000), 255), "PNG"))
            refusal = run(REFUSAL, env, str(bomb), str(max(args.runs, 5)))
            cases = candidates(directory)
            cases["1 upload, 25 Mpx JPEG"] = upload(directory, moto.url)
            worst = {
                name: run(CHILD, env, json.dumps(case), str(args.runs))
                for name, case in cases.items()
            }
        finally:
            moto.stop()
    print(f"python {sys.version.split()[0]}; function memory {FUNCTION_MB} MB")
    print()
    print(f"1. refused up front ({refusal['body_kb']:.0f} KB request; goal <= 100 ms):")
    for name in ("amplified", "single"):
        found = refusal[name]
        print(
            f"   {name:<10} first {found['first_ms']:6.1f} ms, median {found['median_ms']:6.1f} ms, "
            f"max {found['max_ms']:6.1f} ms: {found['message'][:70]}"
        )
    print()
    print("2. the worst accepted requests (goal: <= 2 s, peak RSS <= 50 % of the function):")
    print(f"   {'request':<34} {'max s':>6} {'RSS before':>10} {'peak':>6} {'% of fn':>8}")
    for name, found in worst.items():
        share = found["rss_peak"] / FUNCTION_MB
        print(
            f"   {name:<34} {found['max_s']:6.2f} {found['rss_before']:8.0f} MiB "
            f"{found['rss_peak']:4.0f} MiB {share:7.0%}"
        )
    slowest = max(f["max_s"] for f in worst.values())
    heaviest = max(f["rss_peak"] for f in worst.values())
    print()
    print(
        f"   worst: {slowest:.2f} s, peak {heaviest:.0f} MiB = {heaviest / FUNCTION_MB:.0%} of "
        f"{FUNCTION_MB} MB   (medians: {statistics.median(f['median_s'] for f in worst.values()):.2f} s)"
    )


if __name__ == "__main__":
    main()
