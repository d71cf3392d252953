"""Prediction figures, each a ratio against a baseline measured in the same run:

1. warm predict of an 8x8 PNG through the handler, against Strawberry+Mangum hello + raw
   Pillow decode + raw onnxruntime run of the same model (goal: <= 1.5x);
2. 64 images in one predictBatch call, against the same preprocessing and one inference run
   without the API around them (goal: >= 50 % of their throughput);
3. the first predict in a fresh process with the model already in /tmp, against the
   `{ health }` cold start (goal: <= 2x);
4. peak RSS after 1,000 mixed requests (goal: <= 160 MiB: the function runs in 256 MB);
5. the digits model alone: one image through onnxruntime on one thread (goal: <= 2 ms), and
   the API's preprocessing of one 480x320 canvas PNG beside it.

The digits version is the template's current one (2, the CNN); `--digits-version 1` measures
the scikit-learn MLP that the figures of the predictions issue were first taken with.

S3 and SSM are a moto server started here; the models are the bundled ones.

    python bench/predict.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from devstack.seed import ensure_models_built  # noqa: E402
from devstack.standins import free_port, moto_server  # noqa: E402

BUCKET = "bench-models"
PREFIX = "/bench/models"

COMMON = textwrap.dedent(
    """
    import sys
    class NoCrt:
        # The Lambda runtime's boto3 has no awscrt; this venv does (aws-sam-cli wants
        # boto3[crt]), and botocore imports it when present (~90 ms). Measure as on Lambda.
        def find_spec(self, name, path=None, target=None):
            if name == "awscrt" or name.startswith("awscrt."):
                raise ImportError("no awscrt in the Lambda runtime")
    sys.meta_path.insert(0, NoCrt())
    import base64, io, json, resource, time
    import numpy as np
    from PIL import Image, ImageDraw
    def png8():
        image = Image.new("L", (8, 8), 255)
        ImageDraw.Draw(image).line([(4, 1), (4, 6)], fill=0, width=2)
        out = io.BytesIO(); image.save(out, "PNG"); return out.getvalue()
    PNG = png8()
    def event(query, variables=None):
        return {"version": "2.0", "routeKey": "POST /graphql", "rawPath": "/graphql", "rawQueryString": "",
                "headers": {"content-type": "application/json", "host": "bench"},
                "requestContext": {"http": {"method": "POST", "path": "/graphql", "sourceIp": "1.2.3.4"},
                                   "requestId": "bench", "stage": "$default",
                                   "authorizer": {"jwt": {"claims": {"sub": "bench"}}}},
                "body": json.dumps({"query": query, "variables": variables or {}}), "isBase64Encoded": False}
    class Context:
        aws_request_id = "bench"
    PREDICT = "query($i: PredictInput!) { predict(input: $i) { labels { label score } } }"
    BATCH = "query($i: PredictBatchInput!) { predictBatch(input: $i) { labels { label } } }"
    def p50(f, n):
        for _ in range(20): f()
        s = []
        for _ in range(n):
            t = time.perf_counter_ns(); f(); s.append(time.perf_counter_ns() - t)
        s.sort(); return s[len(s) // 2] / 1000
    """
)

CHILDREN = {
    # Warm predict of the 8x8 PNG through the whole handler.
    "warm": """
from monolambda.handler import handler
e = event(PREDICT, {"i": {"image": base64.b64encode(PNG).decode(), "topK": 1}})
r = handler(e, Context()); assert '"errors"' not in r["body"], r
print(json.dumps({"us": p50(lambda: handler(e, Context()), 2000)}))
""",
    # Strawberry+Mangum hello + raw Pillow decode + raw onnxruntime run, each alone.
    "baseline": """
import strawberry, onnxruntime
from mangum import Mangum
from strawberry.asgi import GraphQL
@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str: return "world"
hello = Mangum(GraphQL(strawberry.Schema(query=Query)), lifespan="off")
e = event("{ hello }")
session = onnxruntime.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
model_input = session.get_inputs()[0]
x = np.zeros([1, *model_input.shape[1:]], np.float32)
def decode():
    return np.asarray(Image.open(io.BytesIO(PNG)).convert("L"), np.float32).reshape(1, 64) / 255
hello_us = p50(lambda: hello(e, Context()), 2000)
decode_us = p50(decode, 2000)
run_us = p50(lambda: session.run(None, {model_input.name: x}), 2000)
print(json.dumps({"us": hello_us + decode_us + run_us, "hello": hello_us, "decode": decode_us, "run": run_us}))
""",
    # 64 images in one call, and the same work without the API.
    "batch": """
from monolambda.handler import handler
from monolambda import bootstrap
images = [PNG] * 64
e = event(BATCH, {"i": {"images": [base64.b64encode(i).decode() for i in images], "topK": 1}})
r = handler(e, Context()); assert '"errors"' not in r["body"], r
api_us = p50(lambda: handler(e, Context()), 200)
service = bootstrap.services().predictions
registry, prepare, infer = service._registry, service._images, service._inference
manifest = registry.manifest("digits", registry.current_version("digits"))
path = registry.model_file(manifest)
raw_us = p50(lambda: infer.run(manifest, path, prepare.prepare(images, manifest.input)), 200)
print(json.dumps({"api_per_s": 64e6 / api_us, "raw_per_s": 64e6 / raw_us}))
""",
    # Process start to first answer: a predict (model already in /tmp), or { health }.
    "cold-predict": """
from monolambda.handler import handler
r = handler(event(PREDICT, {"i": {"image": base64.b64encode(PNG).decode()}}), Context())
assert '"errors"' not in r["body"], r
print(json.dumps({}))
""",
    "cold-health": """
from monolambda.handler import handler
r = handler(event("{ health { status } }"), Context())
assert '"errors"' not in r["body"], r
print(json.dumps({}))
""",
    # The digits model on one thread: one image's inference, and one canvas's preprocessing.
    "inference": """
import onnxruntime
from monolambda.adapters.images import PillowImages
from monolambda.domain.models import ModelManifest
directory = sys.argv[1]
manifest = ModelManifest.parse(json.load(open(directory + "/manifest.json")), name="digits", version="x")
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = onnxruntime.InferenceSession(directory + "/model.onnx", sess_options=options, providers=["CPUExecutionProvider"])
canvas = Image.new("RGB", (480, 320), "white")
ImageDraw.Draw(canvas).line([(200, 60), (260, 60), (215, 240)], fill="black", width=14)
out = io.BytesIO(); canvas.save(out, "PNG"); picture = out.getvalue()
x = PillowImages().prepare([picture], manifest.input).array
run_us = p50(lambda: session.run(None, {manifest.input.name: x}), 2000)
prepare_us = p50(lambda: PillowImages().prepare([picture], manifest.input), 500)
print(json.dumps({"run_us": run_us, "prepare_us": prepare_us}))
""",
    # 1,000 mixed requests, then the peak resident set.
    "memory": """
from monolambda.handler import handler
png = base64.b64encode(PNG).decode()
requests = [event("{ health { status } }"), event(PREDICT, {"i": {"image": png}}),
            event(BATCH, {"i": {"images": [png] * 8}}), event("{ models { name current } }"),
            event(PREDICT, {"i": {"model": "colours", "image": png}})]
for i in range(1000):
    r = handler(requests[i % len(requests)], Context())
    assert '"errors"' not in r["body"], r
print(json.dumps({"rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""",
}


def run(case: str, env: dict[str, str], *args: str) -> tuple[dict[str, float], float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", COMMON + CHILDREN[case], *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure (odd)")
    parser.add_argument("--digits-version", default="3", help="the digits model's version")
    args = parser.parse_args()
    models = ensure_models_built()
    digits = models / "digits" / args.digits_version
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        moto = moto_server(free_port(), Path(tmp) / "moto.log")
        moto.start()
        try:
            moto.wait_ready()
            env = seed(moto.url, models, Path(tmp), args.digits_version)
            warm = [run("warm", env)[0]["us"] for _ in range(args.runs)]
            base = [run("baseline", env, str(digits / "model.onnx"))[0] for _ in range(args.runs)]
            batch = [run("batch", env)[0] for _ in range(args.runs)]
            cold_predict, cold_health = [], []
            for _ in range(args.runs):  # interleaved
                cold_predict.append(run("cold-predict", env)[1] * 1000)
                cold_health.append(run("cold-health", env)[1] * 1000)
            memory = run("memory", env)[0]["rss_mib"]
            alone = [run("inference", env, str(digits))[0] for _ in range(args.runs)]
        finally:
            moto.stop()
    warm_us, base_us = statistics.median(warm), statistics.median(b["us"] for b in base)
    parts = {k: statistics.median(b[k] for b in base) for k in ("hello", "decode", "run")}
    api, raw = (
        statistics.median(b["api_per_s"] for b in batch),
        statistics.median(b["raw_per_s"] for b in batch),
    )
    predict_ms, health_ms = statistics.median(cold_predict), statistics.median(cold_health)
    run_us = statistics.median(a["run_us"] for a in alone)
    prepare_us = statistics.median(a["prepare_us"] for a in alone)
    size = (digits / "model.onnx").stat().st_size
    print(
        f"python {sys.version.split()[0]}, digits v{args.digits_version}, "
        f"medians of {args.runs} fresh processes each"
    )
    print(
        f"1. warm predict 8x8 PNG: {warm_us:.0f} us vs baseline {base_us:.0f} us "
        f"(hello {parts['hello']:.0f} + decode {parts['decode']:.0f} + run {parts['run']:.0f}) "
        f"= {warm_us / base_us:.2f}x   (goal <= 1.5x)"
    )
    print(
        f"2. batch of 64: {api:.0f} images/s vs raw {raw:.0f} images/s = {api / raw:.0%}   (goal >= 50 %)"
    )
    print(
        f"3. first predict, model in /tmp: {predict_ms:.0f} ms vs {{ health }} cold {health_ms:.0f} ms "
        f"= {predict_ms / health_ms:.2f}x   (goal <= 2x)"
    )
    print(f"4. peak RSS after 1,000 mixed requests: {memory:.0f} MiB   (goal <= 160 MiB)")
    print(
        f"5. digits v{args.digits_version} ({size / 1e6:.2f} MB) on one thread: inference "
        f"{run_us / 1000:.3f} ms per image (goal <= 2 ms); preprocessing a 480x320 PNG "
        f"{prepare_us / 1000:.2f} ms"
    )


def seed(moto_url: str, models: Path, tmp: Path, digits_version: str) -> dict[str, str]:
    import boto3  # noqa: PLC0415

    options = {
        "endpoint_url": moto_url,
        "region_name": "us-east-1",
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
    }
    s3, ssm = boto3.client("s3", **options), boto3.client("ssm", **options)
    s3.create_bucket(Bucket=BUCKET)
    for path in models.glob("*/*/*"):
        s3.upload_file(str(path), BUCKET, f"models/{path.relative_to(models).as_posix()}")
    for name, version in (("digits", digits_version), ("colours", "1")):
        ssm.put_parameter(
            Name=f"{PREFIX}/{name}/current", Value=version, Type="String", Overwrite=True
        )
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "APP_ENV": "prod",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "MODELS_BUCKET": BUCKET,
        "MODEL_PARAMETER_PREFIX": PREFIX,
        "MODEL_CACHE_DIR": str(tmp / "model-cache"),
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


if __name__ == "__main__":
    main()
